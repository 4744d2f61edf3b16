import AGFASData
import AGFASTestSupport
import Foundation
import XCTest

/// `labels` on hostile trees (issue 12): upper-case `.PNG` frames count as `align` reads them,
/// and names that are not UTF-8 are listed with their reason, not dropped silently.
final class LabelsHostileInputTests: TreeTestCase {
  /// Creates a file whose name is `bytes` (not necessarily UTF-8) in `folder`.
  static func createRawFile(in folder: String, _ bytes: [UInt8]) {
    let path = Array(folder.utf8) + [UInt8(ascii: "/")] + bytes + [0]
    let fd = path.withUnsafeBufferPointer { p in
      p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: path.count) { open($0, O_CREAT | O_WRONLY, 0o644) }
    }
    XCTAssertGreaterThanOrEqual(fd, 0)
    close(fd)
  }

  func testUpperCaseExtensionsAreFrames() throws {
    let root = try makeTree("tree", ["dom/live/a/1.PNG", "dom/live/a/2.png", "dom/spoof/b/3.Png"])
    let videos = try VideoFolder.scan(root: root)
    XCTAssertEqual(videos.map(\.frames), [["1.PNG", "2.png"], ["3.Png"]])
  }

  func testNamesThatAreNotUTF8AreListedAndTheRunFails() throws {
    let root = try makeTree("tree", ["dom/live/a/1.png", "dom/spoof/b/2.png"])
    Self.createRawFile(in: root + "/dom/live/a", [0x33, 0xE9, 0x2E, 0x70, 0x6E, 0x67])  // "3\xE9.png"
    var skipped: [SkippedInput] = []
    let videos = try VideoFolder.scan(root: root, skipped: &skipped)
    XCTAssertEqual(videos.map(\.frames), [["1.png"], ["2.png"]])
    XCTAssertEqual(
      skipped, [SkippedInput(path: root + "/dom/live/a/3\\xE9.png", reason: "file name is not valid UTF-8; rename it")])
    let out = folder.appendingPathComponent("out").path
    let result = try AgfasCLI.run(["labels", "--layout", "folders", "--root", root, "--out", out])
    XCTAssertEqual(result.status, 1, result.stderr)
    XCTAssertTrue(result.stderr.contains("skipped \(root)/dom/live/a/3\\xE9.png: file name is not valid UTF-8"))
    XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/dom/all_label.json"), "the rest is written")
  }

  func testValidationErrorsShowTheSubcommandUsage() throws {
    let root = try makeTree("tree", ["dom/live/a/1.png"])
    let result = try AgfasCLI.run(["labels", "--layout", "tree", "--root", root, "--out", root])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(result.stderr.contains("--layout must be folders"), result.stderr)
    XCTAssertTrue(result.stderr.contains("Usage: agfas labels"), result.stderr)
  }
}
