import AGFASDFG
import AGFASTestSupport
import Foundation
import XCTest

/// `reconstruct` on hostile inputs (issue 12): output collisions found before any work, a
/// bad config reported once for the run, leftovers of a killed run removed, and an output
/// path that is a file said as a sentence.
final class ReconstructHostileInputTests: XCTestCase {
  let fixtures = DFGPipelineTests.fixtures
  var scratch: URL!

  override func setUpWithError() throws {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-hostile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

  func touch(_ relative: String) throws {
    let url = scratch.appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data([0]).write(to: url)
  }

  func testEveryOutputCollisionIsListedBeforeAnyWork() throws {
    for name in ["in/a.png", "in/a.jpg", "in/s/b.PNG", "in/s/b.jpeg", "in/c.png"] { try touch(name) }
    let input = scratch.appendingPathComponent("in").path
    let out = scratch.appendingPathComponent("out").path
    XCTAssertThrowsError(try ReconstructionJob(input: input, output: out)) { error in
      let text = "\(error)"
      XCTAssertTrue(text.hasPrefix("2 outputs would be written by more than one input"), text)
      XCTAssertTrue(text.contains("\(out)/a.png <- \(input)/a.jpg, \(input)/a.png"), text)
      XCTAssertTrue(text.contains("\(out)/s/b.png <- \(input)/s/b.PNG, \(input)/s/b.jpeg"), text)
      XCTAssertFalse(text.contains("c.png"), text)
    }
    // Through the CLI nothing is loaded or written.
    let cli = try AgfasCLI.run(
      ["reconstruct", "--models", fixtures.appendingPathComponent("models").path, "--input", input, "--output", out])
    XCTAssertEqual(cli.status, 1, cli.stderr)
    XCTAssertTrue(cli.stderr.contains("2 outputs would be written"), cli.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out))
  }

  /// A copy of the fixture models with `scheduler_config.json` replaced.
  func models(scheduler json: String) throws -> String {
    let copy = scratch.appendingPathComponent("models")
    try FileManager.default.copyItem(at: fixtures.appendingPathComponent("models"), to: copy)
    let config = copy.appendingPathComponent("stable-diffusion-v1-5/scheduler/scheduler_config.json")
    try FileManager.default.removeItem(at: config)
    try Data(json.utf8).write(to: config)
    return copy.path
  }

  func reconstruct(models: String, _ extra: [String] = []) throws -> AgfasCLI.Result {
    try AgfasCLI.run(
      [
        "reconstruct", "--models", models, "--input", fixtures.appendingPathComponent("faces").path, "--output",
        scratch.appendingPathComponent("out").path,
      ] + extra)
  }

  func occurrences(_ needle: String, _ text: String) -> Int { text.components(separatedBy: needle).count - 1 }

  func testABadSchedulerConfigOrStepCountFailsOnceForTheRun() throws {
    let black = try models(
      scheduler: #"{"_class_name": "PNDMScheduler", "beta_start": 2.0, "beta_end": 5.0, "skip_prk_steps": true}"#)
    let result = try reconstruct(models: black)
    XCTAssertNotEqual(result.status, 0, result.stderr)
    XCTAssertEqual(occurrences("must lie in (0, 1)", result.stderr), 1, result.stderr)
    XCTAssertTrue(result.stderr.contains("scheduler_config.json"), result.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("out/live").path))
    let good = fixtures.appendingPathComponent("models").path
    let steps = try reconstruct(models: good, ["--steps", "5000"])
    XCTAssertNotEqual(steps.status, 0, steps.stderr)
    XCTAssertEqual(occurrences("inference steps must be in", steps.stderr), 1, steps.stderr)
    XCTAssertFalse(steps.stderr.contains("failed:"), steps.stderr)
  }

  func testLeftoversOfAKilledRunAreRemovedAndOthersKept() throws {
    // A pid that existed and is gone: a finished child's.
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/bin/true")
    try child.run()
    child.waitUntilExit()
    let dead = child.processIdentifier
    let out = scratch.appendingPathComponent("out")
    let stale = "live/v1/.0.png.\(dead).123.tmp"
    let live = "live/v1/.1.png.\(getpid()).5.tmp"
    for name in [stale, live, "live/v1/notes.tmp", "live/v1/.x.png.\(dead).tmp"] {
      try touch("out/" + name)
      try FileManager.default.setAttributes(
        [.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: out.appendingPathComponent(name).path)
    }
    let result = try reconstruct(models: fixtures.appendingPathComponent("models").path, ["--shard", "1/2"])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("removed 1 temporary file(s) of an earlier, interrupted run"), result.stderr)
    let fm = FileManager.default
    XCTAssertFalse(fm.fileExists(atPath: out.appendingPathComponent(stale).path))
    for kept in [live, "live/v1/notes.tmp", "live/v1/.x.png.\(dead).tmp"] {
      XCTAssertTrue(fm.fileExists(atPath: out.appendingPathComponent(kept).path), kept)
    }
  }

  func testAnOutputThatIsAFileIsOneSentence() throws {
    try touch("file")
    let result = try AgfasCLI.run(
      [
        "reconstruct", "--models", fixtures.appendingPathComponent("models").path, "--input",
        fixtures.appendingPathComponent("faces").path, "--output", scratch.appendingPathComponent("file").path,
      ])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertEqual(occurrences("exists and is a file, not a folder", result.stderr), 1, result.stderr)
    XCTAssertFalse(result.stderr.contains("NSCocoaErrorDomain"), result.stderr)
  }
}
