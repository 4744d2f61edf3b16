import AGFASImage
import AGFASTestSupport
import Foundation
import XCTest

@testable import AGFASFaces

/// `align` on hostile inputs (issue 12): names that are not UTF-8 are listed as failed, an
/// output that is a file is a sentence, and option errors show `align`'s own usage.
final class AlignHostileInputTests: XCTestCase {
  var root: URL!

  override func setUpWithError() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-align-h-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root.appendingPathComponent("in/b"), withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

  func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  func testNamesThatAreNotUTF8AreListedAsFailed() throws {
    try FaceFixtures.image("flat").writePNG(to: path("in/flat.png"))
    let raw = Array(path("in/b").utf8) + [UInt8(ascii: "/"), 0x66, 0xFF, 0x2E, 0x70, 0x6E, 0x67, 0]  // "f\xFF.png"
    let fd = raw.withUnsafeBufferPointer { p in
      p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: raw.count) { open($0, O_CREAT | O_WRONLY, 0o644) }
    }
    XCTAssertGreaterThanOrEqual(fd, 0)
    close(fd)
    let job = try AlignmentJob(inputs: [path("in")], output: path("out"))
    XCTAssertEqual(job.skipped.map(\.path), [path("in/b") + "/f\\xFF.png"])
    let result = try AgfasCLI.run([
      "align", path("in"), "--out", path("out"), "--weights", FaceFixtures.weightsFolder,
    ])
    XCTAssertEqual(result.status, 1, result.stderr)
    XCTAssertTrue(result.stderr.contains("f\\xFF.png: file name is not valid UTF-8"), result.stderr)
    let report = try JSONDecoder().decode(
      AlignmentReport.self, from: Data(contentsOf: URL(fileURLWithPath: path("out/faces.json"))))
    XCTAssertEqual(report.failed.map(\.input), [path("in/b") + "/f\\xFF.png"])
    XCTAssertEqual(report.noFace, [path("in/flat.png")])
  }

  func testAnOutputThatIsAFileAndBadOptionsAreSentences() throws {
    try FaceFixtures.image("flat").writePNG(to: path("in/flat.png"))
    try Data().write(to: URL(fileURLWithPath: path("file")))
    let file = try AgfasCLI.run([
      "align", path("in"), "--out", path("file"), "--weights", FaceFixtures.weightsFolder,
    ])
    XCTAssertNotEqual(file.status, 0)
    XCTAssertTrue(
      file.stderr.contains("cannot create the folder \(path("file")): \(path("file")) exists and is a file"),
      file.stderr)
    XCTAssertFalse(file.stderr.contains("NSCocoaErrorDomain"), file.stderr)
    let thresholds = try AgfasCLI.run(["align", path("in"), "--out", path("out"), "--thresholds", "0.6,0.7"])
    XCTAssertTrue(thresholds.stderr.contains("Usage: agfas align"), thresholds.stderr)
    let negative = try AgfasCLI.run(["align", path("in"), "--out", path("out"), "--min-face", "-5"])
    XCTAssertNotEqual(negative.status, 0)
    XCTAssertFalse(negative.stderr.contains("Missing value"), negative.stderr)
    XCTAssertTrue(negative.stderr.contains("Usage: agfas align"), negative.stderr)
  }

  /// A small PNG declaring 8000x8000 pixels (a flat image, about 1000 pixels per byte) is
  /// listed as failed from its header, naming the rule and --max-pixels-per-byte; a negative
  /// ratio is an option error.
  func testSmallFilesDeclaringHugeImagesAreRefusedFromTheHeader() throws {
    let flat = try Image(width: 8000, height: 8000, channels: 1, pixels: [UInt8](repeating: 90, count: 64_000_000))
    try flat.writePNG(to: path("in/b/bomb.png"))
    let result = try AgfasCLI.run([
      "align", path("in/b/bomb.png"), "--out", path("out"), "--weights", FaceFixtures.weightsFolder,
    ])
    XCTAssertEqual(result.status, 1, result.stderr)
    XCTAssertTrue(result.stderr.contains("\(path("in/b/bomb.png")): image is 8000x8000"), result.stderr)
    XCTAssertTrue(result.stderr.contains("at most 64 pixels per byte"), result.stderr)
    XCTAssertTrue(result.stderr.contains("--max-pixels-per-byte"), result.stderr)
    let negative = try AgfasCLI.run([
      "align", path("in"), "--out", path("out"), "--max-pixels-per-byte", "-1",
    ])
    XCTAssertNotEqual(negative.status, 0)
    XCTAssertTrue(
      negative.stderr.contains("--max-pixels-per-byte must be 0 (no limit) or more, not -1"), negative.stderr)
  }

  /// A file named on the command line in another encoding (Latin-1 "café.png") arrives with
  /// U+FFFD in place of its byte: it is listed as failed with the reason, not called missing,
  /// and the other inputs are aligned.
  func testArgumentsThatAreNotUTF8AreListedAsFailed() throws {
    try FaceFixtures.image("flat").writePNG(to: path("in/flat.png"))
    let raw = Array(path("in/caf").utf8) + [0xE9] + Array(".png".utf8)
    let fd = open(raw.map { CChar(bitPattern: $0) } + [0], O_CREAT | O_WRONLY, 0o644)
    XCTAssertGreaterThanOrEqual(fd, 0)
    close(fd)
    let result = try AgfasCLI.run(
      bytes: [Array("align".utf8), raw]
        + [path("in/flat.png"), "--out", path("out"), "--weights", FaceFixtures.weightsFolder]
        .map { Array($0.utf8) })
    XCTAssertEqual(result.status, 1, result.stderr)
    let shown = path("in/caf") + "\\xE9.png"
    XCTAssertTrue(result.stderr.contains("\(shown): file name is not valid UTF-8; rename it"), result.stderr)
    XCTAssertFalse(result.stderr.contains("does not exist"), result.stderr)
    let report = try JSONDecoder().decode(
      AlignmentReport.self, from: Data(contentsOf: URL(fileURLWithPath: path("out/faces.json"))))
    XCTAssertEqual(report.failed.map(\.input), [shown])
    XCTAssertEqual(report.noFace, [path("in/flat.png")])
  }
}
