import AGFASEvaluation
import AGFASImage
import Foundation
import XCTest

/// The ROC plot is a PNG of the requested size with the curve, the diagonal and the EER marker
/// drawn where the numbers put them, and the JSON report round-trips.
final class ROCPlotTests: XCTestCase {
  var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-roc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

  func report() throws -> EvaluationReport {
    let c = try MetricFixtures.named("random_150_170")
    let frames = c.scores.indices.map { FrameScore(score: c.scores[$0], label: c.labels[$0], video: "v\($0)") }
    return try EvaluationReport(frames: frames, source: "fixture")
  }

  func count(_ image: Image, _ rgb: [UInt8]) -> Int {
    (0..<(image.width * image.height)).filter { Array(image.pixels[$0 * 3..<$0 * 3 + 3]) == rgb }.count
  }

  func testPNGDecodesAtTheRequestedSizeWithCurveAndMarker() throws {
    let report = try report()
    let path = folder.appendingPathComponent("roc.png").path
    try report.plot(width: 300, height: 200).writePNG(to: path)
    let image = try Image(contentsOfFile: path)
    XCTAssertEqual([image.width, image.height, image.channels], [300, 200, 3])
    // The curve is blue and runs from the lower left to the upper right: well over a plot
    // side's worth of pixels (2 px wide).
    XCTAssertGreaterThan(count(image, [31, 119, 180]), 300)
    XCTAssertGreaterThan(count(image, [214, 39, 40]), 20, "EER marker")
    XCTAssertGreaterThan(count(image, [150, 150, 150]), 50, "diagonal")
    XCTAssertEqual(Array(image.pixels[0..<3]), [255, 255, 255], "background")
  }

  func testTheMarkerSitsAtTheEEROperatingPoint() throws {
    let report = try report()
    let plot = report.plot(width: 256, height: 256)
    let image = try plot.image()
    // Plot area at scale 1: x from 20 to 247, y from 237 (TPR 0) up to 11 (TPR 1).
    let x = Int((20 + report.metrics.eerFAR * 227).rounded())
    let y = Int((237 - (1 - report.metrics.eerFRR) * 226).rounded())
    XCTAssertEqual(Array(image.pixels[(y * 256 + x) * 3..<(y * 256 + x) * 3 + 3]), [214, 39, 40])
  }

  func testSizesOutOfRangeAreRefused() throws {
    XCTAssertThrowsError(try ROCPlot(points: try report().roc, width: 10, height: 300).image()) {
      XCTAssertEqual("\($0)", "ROC plot size 10x300 is out of range (64...16384 a side)")
    }
  }

  func testJSONReportRoundTrips() throws {
    let report = try report()
    let path = folder.appendingPathComponent("report.json").path
    try report.writeJSON(to: path)
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    XCTAssertEqual(try JSONDecoder().decode(EvaluationReport.self, from: data), report)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let metrics = try XCTUnwrap(object["metrics"] as? [String: Any])
    for key in ["auc", "eer", "eer_threshold", "hter", "acer", "apcer", "bpcer", "tpr_at_fpr_0.01", "tpr_at_fpr_0.001"]
    {
      XCTAssertNotNil(metrics[key], key)
    }
    XCTAssertNil((object["roc"] as? [[String: Any]])?.first?["threshold"], "first point's +inf threshold is left out")
  }
}
