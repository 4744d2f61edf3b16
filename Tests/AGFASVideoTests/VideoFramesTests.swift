import AGFASImage
import AGFASTestSupport
import AGFASVideo
import Foundation
import XCTest

/// Frames decoded by libavformat/libavcodec against what PyAV wrote (scripts/make_video_fixtures.py).
final class VideoFramesTests: XCTestCase {
  let fixtures = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().appendingPathComponent("Fixtures")

  /// The pattern the fixture script drew into frame `i`.
  func pattern(_ i: Int, _ w: Int, _ h: Int) -> [UInt8] {
    var out: [UInt8] = []
    for y in 0..<h {
      for x in 0..<w {
        out += [UInt8((x * 6 + i * 20) % 256), UInt8((y * 9 + i * 7) % 256), UInt8(((x + y) * 3 + i * 31) % 256)]
      }
    }
    return out
  }

  func testLosslessFramesDecodeToTheExactPixelsWritten() throws {
    var seen: [Int] = []
    let count = try VideoFrames.forEach(path: fixtures.appendingPathComponent("lossless.mkv").path) { index, image in
      XCTAssertEqual([image.width, image.height, image.channels], [40, 24, 3])
      XCTAssertEqual(image.pixels, pattern(index, 40, 24), "frame \(index)")
      seen.append(index)
      return true
    }
    XCTAssertEqual(count, 7)
    XCTAssertEqual(seen, Array(0..<7))
  }

  func testEveryNthFrameAndEarlyStop() throws {
    var seen: [Int] = []
    try VideoFrames.forEach(path: fixtures.appendingPathComponent("lossless.mkv").path, every: 3) { index, _ in
      seen.append(index)
      return true
    }
    XCTAssertEqual(seen, [0, 3, 6])
    let stopped = try VideoFrames.forEach(path: fixtures.appendingPathComponent("lossless.mkv").path) { index, _ in
      index < 1
    }
    XCTAssertEqual(stopped, 2)
  }

  func testLossyVideoKeepsCountSizeAndColour() throws {
    var means: [Double] = []
    try VideoFrames.forEach(path: fixtures.appendingPathComponent("lossy.mp4").path) { index, image in
      XCTAssertEqual([image.width, image.height], [64, 48])
      let expected = pattern(index, 64, 48)
      means.append(Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(expected.count))
      let reference = Double(expected.reduce(0) { $0 + Int($1) }) / Double(expected.count)
      // MPEG-4 at 2 Mbit/s with 4:2:0 chroma: the mean colour survives within a few levels.
      XCTAssertEqual(means.last!, reference, accuracy: 4, "frame \(index)")
      return true
    }
    XCTAssertEqual(means.count, 10)
  }

  func testUnreadableInputsAreExplained() throws {
    XCTAssertThrowsError(try VideoFrames.forEach(path: "/no/such.mp4") { _, _ in true }) {
      XCTAssertEqual("\($0)", "/no/such.mp4: no such file")
    }
    let notVideo = fixtures.appendingPathComponent("frames.json").path
    XCTAssertThrowsError(try VideoFrames.forEach(path: notVideo) { _, _ in true }) {
      XCTAssertTrue("\($0)".hasPrefix("\(notVideo): "), "\($0)")
    }
    XCTAssertThrowsError(
      try VideoFrames.forEach(
        path: fixtures.appendingPathComponent("lossy.mp4").path, limits: ImageLimits(maxPixels: 100)
      ) {
        _, _ in true
      }
    ) { XCTAssertTrue("\($0)".contains("pixel limit"), "\($0)") }
  }

  func testFramesCommandWritesNumberedPNGsPerVideo() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-frames-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try AgfasCLI.run([
      "frames", fixtures.appendingPathComponent("lossless.mkv").path, "--out", out.path, "--every", "2",
    ])
    XCTAssertEqual(result.status, 0, result.stderr)
    let written = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("lossless").path)
      .sorted()
    XCTAssertEqual(written, ["1.png", "3.png", "5.png", "7.png"])
    let third = try Image(contentsOfFile: out.appendingPathComponent("lossless/3.png").path)
    XCTAssertEqual(third.pixels, pattern(2, 40, 24), "file k.png holds decoded frame k-1")
  }
}
