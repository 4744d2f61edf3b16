import Foundation
import XCTest

/// A case of scripts/make_label_fixtures.py: a frame tree and the label files its Python
/// generator wrote for it.
struct LabelCase: Decodable {
  let name: String
  let layout: String
  let prefix: String
  let files: [String]
  /// "<group>/<file>.json" -> exact file text.
  let expected: [String: String]

  static func all() throws -> [LabelCase] {
    struct File: Decodable { let cases: [LabelCase] }
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/labels.json")
    return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
  }
}

/// A temporary folder to build frame trees in; removed by `tearDown`.
class TreeTestCase: XCTestCase {
  var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-labels-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

  /// Creates empty files (and their folders) at `files`, relative to `<folder>/<name>`;
  /// a path ending in `/` makes an empty folder. Returns the tree's root path.
  @discardableResult
  func makeTree(_ name: String, _ files: [String]) throws -> String {
    let root = folder.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    for file in files {
      let url = root.appendingPathComponent(file)
      if file.hasSuffix("/") {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
      } else {
        try FileManager.default.createDirectory(
          at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: url.path, contents: Data()), url.path)
      }
    }
    return root.path
  }
}
