import AGFASTestSupport
import Foundation
import XCTest

/// `predict` treats bad pairs as `align` treats bad images (issue 12): a JSON line with an
/// "error" for each, the others scored, exit 1 at the end; negative thresholds are read.
final class PredictHostileInputTests: XCTestCase {
  func path(_ name: String) -> String { PredictCLITests.folder + "/" + name }

  func run(_ args: [String]) throws -> AgfasCLI.Result {
    try AgfasCLI.run(
      ["predict", "--oanet", path("model.pth"), "--config", path("oanet_config.json"), "--precision", "fp32"] + args)
  }

  func testAnUnreadablePairIsAnErrorLineAndTheRestGoOn() throws {
    let result = try run([
      path("nope.png"), "--reconstruction", path("rec0.png"), path("face1.png"), "--reconstruction", path("rec1.png"),
    ])
    XCTAssertEqual(result.status, 1, result.stderr)
    let lines = result.stdout.split(separator: "\n").map {
      (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:]
    }
    XCTAssertEqual(lines.count, 2, result.stdout)
    XCTAssertEqual(lines[0]["image"] as? String, path("nope.png"))
    XCTAssertTrue((lines[0]["error"] as? String ?? "").contains("nope.png"), result.stdout)
    XCTAssertNil(lines[0]["p_live"])
    XCTAssertEqual(lines[1]["image"] as? String, path("face1.png"))
    XCTAssertNotNil(lines[1]["p_live"] as? Double, result.stdout)
    XCTAssertTrue(result.stderr.contains("1 of 2 pair(s) failed"), result.stderr)
  }

  func testANegativeThresholdIsReadAndRefusedWithThisCommandsUsage() throws {
    let result = try run([path("face0.png"), "--reconstruction", path("rec0.png"), "--threshold", "-5"])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(result.stderr.contains("--threshold must be within [0, 1], not -5"), result.stderr)
    XCTAssertTrue(result.stderr.contains("Usage: agfas predict"), result.stderr)
  }
}
