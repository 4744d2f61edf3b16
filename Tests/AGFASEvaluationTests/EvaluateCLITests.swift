import AGFASEvaluation
import AGFASImage
import AGFASTestSupport
import Foundation
import XCTest

/// `agfas evaluate` on small score files: the printed figures, the ROC PNG and the JSON
/// report, the label-file join, and errors that name the line.
final class EvaluateCLITests: XCTestCase {
  var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-evaluate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

  @discardableResult
  func run(_ args: [String]) throws -> AgfasCLI.Result { try AgfasCLI.run(args) }

  func write(_ name: String, _ text: String) throws -> String {
    let path = folder.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  // Videos: a live 0.9, b live 0.4 (0.5, 0.3), c spoof 0.6, d spoof 0.1. Grid: at t <= 0.4 FAR
  // 1/2, FRR 0; at 0.4 < t <= 0.6 FAR 1/2, FRR 1/2 (distance 0, last one wins: t = 0.6).
  let csv = "score,label,video\n0.9,1,a\n0.5,1,b\n0.3,1,b\n0.6,0,c\n0.1,0,d\n"

  func testPrintsTheMetricsAndWritesThePNGAndJSON() throws {
    let scores = try write("scores.csv", csv)
    let (png, json) = (folder.appendingPathComponent("roc.png").path, folder.appendingPathComponent("out.json").path)
    let result = try run([
      "evaluate", "--scores", scores, "--roc", png, "--roc-width", "320", "--roc-height", "240", "--json", json,
    ])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stdout.contains("4 videos (2 live, 2 spoof) from 5 frames"), result.stdout)
    for line in [
      "HTER           50.000 %  at the EER threshold", "AUC            75.000 %",
      "EER            50.000 %  threshold 0.6",
      "accuracy       50.000 %", "APCER          50.000 %", "BPCER          50.000 %", "ACER           50.000 %",
      "TPR@FPR=1%     50.000 %", "TPR@FPR=0.1%   50.000 %",
    ] {
      XCTAssertTrue(result.stdout.contains(line), "missing '\(line)' in\n\(result.stdout)")
    }
    let image = try Image(contentsOfFile: png)
    XCTAssertEqual([image.width, image.height], [320, 240])
    let report = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
    XCTAssertEqual(report.videos.map(\.score), [0.9, 0.4, 0.6, 0.1])
    XCTAssertEqual([report.metrics.auc, report.metrics.eerThreshold, report.metrics.hter], [0.75, 0.6, 0.5])
  }

  func testJoinsALabelFileAndTakesAThreshold() throws {
    let labels = try write(
      "labels.json",
      """
      [{"photo_path": "l/1.png", "photo_label": 1, "photo_belong_to_video_ID": "l"},
       {"photo_path": "s/1.png", "photo_label": 0, "photo_belong_to_video_ID": "s"}]
      """)
    let scores = try write("scores.tsv", "path\tscore\ns/1.png\t0.2\nl/1.png\t0.7\n")
    let result = try run(["evaluate", "--scores", scores, "--labels", labels, "--threshold", "0.75"])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stdout.contains("AUC           100.000 %"), result.stdout)
    XCTAssertTrue(result.stdout.contains("HTER           50.000 %  at threshold 0.75"), result.stdout)
  }

  func testBadInputIsExplained() throws {
    let bad = try write("bad.csv", "0.9,1,a\n0.5,x,b\n")
    let result = try run(["evaluate", "--scores", bad])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(result.stderr.contains("bad.csv:2: label 'x' is neither 1 (live) nor 0 (spoof)"), result.stderr)
    let single = try write("single.csv", "0.9,1,a\n0.5,1,b\n")
    XCTAssertTrue(try run(["evaluate", "--scores", single]).stderr.contains("evaluation needs both live and spoof"))
    let size = try run(["evaluate", "--scores", single, "--roc-width", "8"])
    XCTAssertTrue(size.stderr.contains("--roc-width and --roc-height must be within 64...16384"), size.stderr)
  }
}
