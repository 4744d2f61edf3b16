import AGFASCheckpoint
import AGFASEngine
import Foundation
import XCTest

/// The files scripts/make_checkpoint_fixtures.py writes, and what torch said about them.
enum Fixtures {
  static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")
  static let repoRoot = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

  static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: dir.appendingPathComponent(name))) }

  /// torch's listing of `file`: one row per tensor, in its order.
  static func listing(_ file: String) throws -> [ListingRow] {
    try table(json: "listing.json", file).map { ListingRow($0) }
  }

  /// Rows of a {key: [[...], ...]} JSON fixture.
  static func table(json: String, _ key: String) throws -> [[Any]] {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(json)))
    guard let rows = (object as? [String: Any])?[key] as? [[Any]] else {
      throw CheckpointError.missingTensor(path: json, name: key)
    }
    return rows
  }

  /// torch's values of each listed tensor, as contiguous fp32 named "<file>/<name>".
  static let expected = Result { try SafeTensorsFile(path: path("expected.safetensors")) }
}

/// One tensor of a listing: dotted name, PyTorch dtype name, shape.
struct ListingRow: Equatable, CustomStringConvertible {
  let name: String
  let dtype: String
  let shape: [Int]

  init(name: String, dtype: String, shape: [Int]) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
  }

  init(_ row: [Any]) {
    self.init(
      name: row[0] as? String ?? "?", dtype: row[1] as? String ?? "?",
      shape: (row[2] as? [NSNumber])?.map(\.intValue) ?? [-1])
  }

  var description: String { "\(name) \(dtype) \(shape)" }
}

extension CheckpointValue {
  var listing: [ListingRow] { tensors().map { ListingRow(name: $0.name, dtype: $0.dtype, shape: $0.shape) } }
}

/// Asserts that `body` throws an error whose message contains every one of `texts`.
func assertThrows(
  _ texts: String..., file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
) {
  do {
    try body()
    XCTFail("expected an error containing \(texts)", file: file, line: line)
  } catch {
    for t in texts where !"\(error)".contains(t) {
      XCTFail("error '\(error)' lacks '\(t)'", file: file, line: line)
    }
  }
}

/// A scratch directory for damaged copies of fixtures, removed after each test.
final class ScratchDir {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-ckpt-\(UUID().uuidString)")

  init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }

  func write(_ bytes: [UInt8], _ name: String = "file.bin") throws -> String {
    let u = url.appendingPathComponent(name)
    try Data(bytes).write(to: u)
    return u.path
  }

  deinit { try? FileManager.default.removeItem(at: url) }
}
