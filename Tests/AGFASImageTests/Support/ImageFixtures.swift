import AGFASImage
import Foundation
import XCTest

/// The files scripts/make_image_fixtures.py writes, and what Pillow decoded from them.
enum ImageFixtures {
  static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")
  static let repoRoot = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

  static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: dir.appendingPathComponent(name))) }

  static let json: [String: Any] = {
    let data = (try? Data(contentsOf: dir.appendingPathComponent("expected.json"))) ?? Data("{}".utf8)
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
  }()

  /// Pillow's decodings of the files of one kind ("png" or "jpeg"), sorted by name.
  static func cases(_ kind: String) throws -> [PillowDecoding] {
    guard let table = json[kind] as? [String: [String: Any]], !table.isEmpty else {
      throw XCTSkip("expected.json lacks \(kind): run scripts/make_image_fixtures.py")
    }
    return table.keys.sorted().map { PillowDecoding(name: $0, table[$0]!) }
  }
}

/// One fixture file and the 8-bit samples Pillow decoded from it.
struct PillowDecoding {
  let name: String
  let file: String
  let width: Int
  let height: Int
  let channels: Int
  /// In AGFAS's layout (see the script's doc).
  let pixels: [UInt8]
  /// Pillow's convert("RGB"); nil where Pillow has no 8-bit conversion (I;16).
  let rgb: [UInt8]?

  init(name: String, _ entry: [String: Any]) {
    func decode(_ key: String) -> [UInt8]? {
      (entry[key] as? String).flatMap { Data(base64Encoded: $0) }.map { Array($0) }
    }
    self.name = name
    file = entry["file"] as? String ?? "?"
    width = (entry["width"] as? NSNumber)?.intValue ?? -1
    height = (entry["height"] as? NSNumber)?.intValue ?? -1
    channels = (entry["channels"] as? NSNumber)?.intValue ?? -1
    pixels = decode("pixels") ?? []
    rgb = decode("rgb")
  }

  var image: Image { get throws { try Image(width: width, height: height, channels: channels, pixels: pixels) } }
}

/// Asserts equal sizes and samples within `tolerance`, reporting how many differ and the worst.
func assertSamples(
  _ actual: Image, width: Int, height: Int, channels: Int, _ expected: [UInt8], tolerance: Int = 0,
  _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(
    [actual.width, actual.height, actual.channels], [width, height, channels], "\(what): size", file: file,
    line: line)
  guard actual.pixels.count == expected.count else {
    return XCTFail("\(what): \(actual.pixels.count) samples, expected \(expected.count)", file: file, line: line)
  }
  let diffs = zip(actual.pixels, expected).map { abs(Int($0) - Int($1)) }
  let bad = diffs.filter { $0 > tolerance }.count
  XCTAssertEqual(
    bad, 0, "\(what): \(bad)/\(diffs.count) samples differ by more than \(tolerance) (max \(diffs.max() ?? 0))",
    file: file, line: line)
}

/// The case of an `ImageError`, without its values.
enum ImageErrorCase: String {
  case fileNotFound, unreadable, unsupportedFormat, corrupt, tooLarge, tooLargeForData, invalidImage, writeFailed

  init?(_ error: ImageError) {
    self.init(rawValue: Mirror(reflecting: error).children.first?.label ?? "")
  }
}

/// Asserts that `body` throws an `ImageError` of case `expected` whose message contains every
/// one of `texts`.
func assertImageError(
  _ expected: ImageErrorCase, _ texts: String..., file: StaticString = #filePath, line: UInt = #line,
  _ body: () throws -> Void
) {
  do {
    try body()
    XCTFail("expected an error containing \(texts)", file: file, line: line)
  } catch let error as ImageError {
    XCTAssertEqual(ImageErrorCase(error), expected, "\(error)", file: file, line: line)
    for t in texts where !error.description.contains(t) {
      XCTFail("error '\(error)' lacks '\(t)'", file: file, line: line)
    }
    XCTAssertEqual(error.errorDescription, error.description, file: file, line: line)
  } catch {
    XCTFail("expected an ImageError, got \(error)", file: file, line: line)
  }
}

/// A scratch folder, removed after each test.
final class ScratchDir {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-image-\(UUID().uuidString)")

  init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }

  func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  func write(_ bytes: [UInt8], _ name: String) throws -> String {
    try Data(bytes).write(to: url.appendingPathComponent(name))
    return path(name)
  }

  /// Names in the folder, sorted (hidden files included).
  var contents: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted() }

  deinit { try? FileManager.default.removeItem(at: url) }
}
