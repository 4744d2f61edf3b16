import AGFASCheckpoint
import AGFASEngine
import AGFASImage
import Foundation
import XCTest

@testable import AGFASFaces

/// What scripts/make_faces_fixtures.py recorded, and the real photos it ran on (fetched by
/// scripts/fetch_test_material.sh into .cache/test-material; absent: skipped, or failed in CI).
enum FaceFixtures {
  static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")
  static let repoRoot = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let material = repoRoot.appendingPathComponent(".cache/test-material")
  static let weightsFolder = material.appendingPathComponent("facenet_pytorch/data").path

  static let json: [String: Any] = {
    let data = (try? Data(contentsOf: dir.appendingPathComponent("faces.json"))) ?? Data("{}".utf8)
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
  }()

  static var tensors: SafeTensorsFile {
    get throws { try SafeTensorsFile(path: dir.appendingPathComponent("faces.safetensors").path) }
  }

  /// Skips (locally) or fails (in CI) when fetched material is absent.
  static func require(_ path: String) throws {
    guard !FileManager.default.fileExists(atPath: path) else { return }
    let message = "\(path) absent: run scripts/fetch_test_material.sh"
    if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(message) }
    throw XCTSkip(message)
  }

  /// The detector with facenet-pytorch's weights, loaded once.
  static func mtcnn() throws -> MTCNN {
    for file in MTCNN.weightFiles { try require("\(weightsFolder)/\(file)") }
    return try loaded.get()
  }

  private static let loaded = Result { try MTCNN(weightsFolder: weightsFolder) }

  static func photo(_ name: String) throws -> Image {
    let path = material.appendingPathComponent("skimage/data/\(name)").path
    try require(path)
    return try Image(contentsOfFile: path).rgb()
  }

  /// The image of a recorded case, rebuilt the way the script built it.
  static func image(_ name: String) throws -> Image {
    let astronaut = try photo("astronaut.png")
    switch name {
    case "astronaut", "astronaut_tuned": return astronaut
    case "camera": return try photo("camera.png")
    case "padded640x480":
      return try Image(width: 640, height: 480, channels: 3).pasting(areaResized(astronaut, 480), x: 80, y: 0)
    case "two_faces":
      return try Image(width: 512, height: 320, channels: 3)
        .pasting(areaResized(astronaut, 320), x: 0, y: 0)
        .pasting(areaResized(astronaut, 192), x: 320, y: 64)
    case "grey": return try pillowGrey(astronaut)
    case "background": return try astronaut.cropped(x: 352..<512, y: 0..<160)
    case "flat": return try Image(width: 64, height: 48, channels: 3, value: 128)
    default: throw XCTSkip("unknown case \(name)")
    }
  }

  /// The script's `area`: torch area resize to size x size, rounded half to even.
  static func areaResized(_ image: Image, _ size: Int) throws -> Image {
    try image.areaResized(width: size, height: size)
  }

  /// Pillow's convert("L") luma, replicated to RGB.
  static func pillowGrey(_ image: Image) throws -> Image {
    var out = image
    for p in 0..<(image.width * image.height) {
      let (r, g, b) = (Int(image.pixels[3 * p]), Int(image.pixels[3 * p + 1]), Int(image.pixels[3 * p + 2]))
      let luma = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
      for c in 0..<3 { out[x: p % image.width, y: p / image.width, channel: c] = luma }
    }
    return out
  }

  /// The script's checksums: the sample sum and the sum weighted by (index mod 251) + 1.
  static func checksums(_ image: Image) -> (sum: Int, weighted: Int) {
    var (sum, weighted) = (0, 0)
    for (i, v) in image.pixels.enumerated() {
      sum += Int(v)
      weighted += Int(v) * (i % 251 + 1)
    }
    return (sum, weighted)
  }
}

extension Image {
  /// This image with `other` copied in at (x, y) (same channel count, fully inside).
  func pasting(_ other: Image, x: Int, y: Int) throws -> Image {
    var out = self
    for row in 0..<other.height {
      for col in 0..<other.width {
        for c in 0..<channels { out[x: x + col, y: y + row, channel: c] = other[x: col, y: row, channel: c] }
      }
    }
    return out
  }

  func cropped(x: Range<Int>, y: Range<Int>) throws -> Image {
    var samples: [UInt8] = []
    for row in y {
      let start = (row * width + x.lowerBound) * channels
      samples += pixels[start..<(start + x.count * channels)]
    }
    return try Image(width: x.count, height: y.count, channels: channels, pixels: samples)
  }
}

/// A face as facenet-pytorch reported it.
struct ReferenceFace {
  let box: [Float]
  let score: Float
  let landmarks: [[Float]]

  init(_ entry: [String: Any]) {
    box = (entry["box"] as? [NSNumber] ?? []).map(\.floatValue)
    score = (entry["score"] as? NSNumber)?.floatValue ?? -1
    landmarks = (entry["landmarks"] as? [[NSNumber]] ?? []).map { $0.map(\.floatValue) }
  }
}
