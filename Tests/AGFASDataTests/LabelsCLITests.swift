import AGFASTestSupport
import Foundation
import XCTest

/// `agfas labels` end to end: files written with the default path prefix, and argument and
/// layout errors reported with a non-zero status.
final class LabelsCLITests: TreeTestCase {
  @discardableResult
  func run(_ args: [String]) throws -> AgfasCLI.Result { try AgfasCLI.run(["labels"] + args) }

  func testWritesTheListsWithTheRootAsPathPrefix() throws {
    let root = try makeTree("tree", ["dom/live/a/1.png", "dom/spoof/b/3.png", "dom/spoof/b/2.png"])
    let out = folder.appendingPathComponent("out").path
    let result = try run(["--layout", "folders", "--root", root + "/", "--out", out])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stdout.contains("\(out)/dom/fake_label.json: 2 frames of 1 videos"), result.stdout)
    let json =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: out + "/dom/fake_label.json"))) as? [[String: Any]]
    XCTAssertEqual(
      json?.compactMap { $0["photo_path"] as? String }, [root + "/dom/spoof/b/2.png", root + "/dom/spoof/b/3.png"])
    let names = try FileManager.default.contentsOfDirectory(atPath: out + "/dom").sorted()
    XCTAssertEqual(
      names,
      [
        "all_label.json", "choose_all_label.json", "choose_fake_label.json", "choose_real_label.json",
        "fake_label.json", "real_label.json",
      ])
  }

  func testRefusesBadArgumentsAndLayouts() throws {
    let root = try makeTree("tree", ["dom/live/a/1.png"])
    let out = folder.appendingPathComponent("out").path
    for (args, message) in [
      (["--dataset", "nuaa"], "--dataset must be msu, casia, replay or oulu, not 'nuaa'"),
      (["--dataset", "msu", "--layout", "folders"], "give exactly one of"),
      (["--layout", "tree"], "--layout must be folders, not 'tree'"),
      (["--dataset", "msu"], "dom/live/a: not a msu layout: no real/ or attack/ folder on the path"),
    ] {
      let result = try run(args + ["--root", root, "--out", out])
      XCTAssertNotEqual(result.status, 0, "\(args)")
      XCTAssertTrue(result.stderr.contains(message), "\(args): \(result.stderr)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: out))
  }
}
