import AGFASTestSupport
import Foundation
import XCTest

/// `train` on hostile options and files (issue 12): numbers that make no sense are option
/// errors naming the option and the value (a negative one read as the value, not as a missing
/// value), and a --config with a key written twice is refused naming the file and the key.
final class TrainHostileInputTests: XCTestCase {
  let base = [
    "train", "--random-init", "--data", "/nonexistent/data", "--reconstructions", "/nonexistent/recs", "--train",
    "O,C,I", "--target", "M", "--out", "/nonexistent/out",
  ]

  func testNumbersThatMakeNoSenseAreOptionErrorsNamingTheOptionAndValue() throws {
    let cases: [([String], String)] = [
      (["--iterations", "0"], "--iterations must be at least 1, not 0"),
      (["--iterations", "-5"], "--iterations must be at least 1, not -5"),
      (["--checkpoint-every", "-1"], "--checkpoint-every must be at least 1, not -1"),
      (["--checkpoint-every", "0"], "--checkpoint-every must be at least 1, not 0"),
      (["--per-class", "0"], "--per-class must be at least 1, not 0"),
      (["--per-class", "-2"], "--per-class must be at least 1, not -2"),
      (["--validate-every", "-1"], "--validate-every must be 0 (never) or more, not -1"),
      (["--learning-rate", "0"], "--learning-rate must be a finite number above 0, not 0.0"),
      (["--learning-rate", "-1e-3"], "--learning-rate must be a finite number above 0, not -0.001"),
      (["--learning-rate", "nan"], "--learning-rate must be a finite number above 0, not nan"),
      (["--learning-rate", "inf"], "--learning-rate must be a finite number above 0, not inf"),
      (["--seed", "-1"], "'-1'"),
    ]
    for (options, expected) in cases {
      let result = try AgfasCLI.run(base + options)
      XCTAssertNotEqual(result.status, 0, "\(options)")
      XCTAssertTrue(result.stderr.contains(expected), "\(options): \(result.stderr)")
      XCTAssertFalse(result.stderr.contains("Missing value"), "\(options): \(result.stderr)")
      XCTAssertTrue(result.stderr.contains("Usage: agfas train"), "\(options): \(result.stderr)")
    }
  }

  func testAConfigWithADuplicateKeyOrAWrongTypeIsRefusedNamingFileAndKey() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-train-h-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    let dup = root.appendingPathComponent("dup.json")
    try Data(#"{"embedding_dim": 16, "vit": {"hidden_size": 32}, "embedding_dim": 512}"#.utf8).write(to: dup)
    let result = try AgfasCLI.run(base + ["--config", dup.path])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(
      result.stderr.contains("\(dup.path): not an OA-Net config: key 'embedding_dim' appears twice; remove one"),
      result.stderr)
    let wrong = root.appendingPathComponent("wrong.json")
    try Data(#"{"vit": {"hidden_size": "32"}}"#.utf8).write(to: wrong)
    let typed = try AgfasCLI.run(base + ["--config", wrong.path])
    XCTAssertNotEqual(typed.status, 0)
    XCTAssertTrue(typed.stderr.contains("\(wrong.path): not an OA-Net config: key 'vit.hidden_size': "), typed.stderr)
    XCTAssertFalse(typed.stderr.contains("DecodingError") || typed.stderr.contains("Context("), typed.stderr)
  }
}
