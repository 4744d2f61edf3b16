import AGFASEvaluation
import AGFASTestSupport
import Foundation
import XCTest

/// Scores are P(live) in [0, 1] (issue 12): 5 and -3 are errors naming the file and line,
/// unless `--logits` says they are logits; negative thresholds are read and refused.
final class ScoreRangeTests: XCTestCase {
  func testScoresOutsideTheUnitIntervalAreErrorsUnlessLogits() throws {
    XCTAssertEqual(
      errorMessage { _ = try ScoreFile(text: "0.9,1,a\n5,1,b\n", source: "s.csv") },
      "s.csv:2: score 5 is outside [0, 1]; if the scores are logits, pass --logits")
    XCTAssertTrue(errorMessage { _ = try ScoreFile(text: "-3,0,a\n", source: "s.csv") }.hasPrefix("s.csv:1: score -3"))
    XCTAssertEqual(
      errorMessage { _ = try ScoreFile(text: "0.5,1\nnan,0\n", source: "s.csv", scale: .logits) },
      "s.csv:2: score nan is not a finite number")
    let logits = try ScoreFile(text: "0,1,a\n5,1,b\n-3,0,c\n", source: "s.csv", scale: .logits)
    XCTAssertEqual(logits.rows.map(\.score)[0], 0.5)
    XCTAssertEqual(logits.rows.map(\.score)[1], 1 / (1 + exp(-5)), accuracy: 1e-15)
    XCTAssertEqual(logits.rows.map(\.score)[2], 1 / (1 + exp(3)), accuracy: 1e-15)
    XCTAssertEqual(try ScoreFile(text: "0,1\n1,0\n", source: "s.csv").rows.map(\.score), [0, 1])
  }

  func testCLIRefusesOutOfRangeScoresAndNegativeThresholds() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-range-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("logits.csv").path
    try "5,1,a\n2,1,b\n-3,0,c\n-1,0,d\n".write(toFile: path, atomically: true, encoding: .utf8)
    let plain = try AgfasCLI.run(["evaluate", "--scores", path])
    XCTAssertNotEqual(plain.status, 0)
    XCTAssertTrue(plain.stderr.contains("logits.csv:1: score 5 is outside [0, 1]"), plain.stderr)
    let logits = try AgfasCLI.run(["evaluate", "--scores", path, "--logits"])
    XCTAssertEqual(logits.status, 0, logits.stderr)
    XCTAssertTrue(logits.stdout.contains("AUC           100.000 %"), logits.stdout)
    let negative = try AgfasCLI.run(["evaluate", "--scores", path, "--logits", "--threshold", "-5"])
    XCTAssertNotEqual(negative.status, 0)
    XCTAssertTrue(negative.stderr.contains("--threshold must lie in 0...1.1"), negative.stderr)
    XCTAssertFalse(negative.stderr.contains("Missing value"), negative.stderr)
    XCTAssertTrue(negative.stderr.contains("Usage: agfas evaluate"), negative.stderr)
  }
}
