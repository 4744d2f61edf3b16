import Foundation
import XCTest

/// The cases scripts/make_metrics_fixtures.py computed with scikit-learn and the reference's
/// EER/HTER procedure (see the script's doc for every formula).
struct MetricCase: Decodable {
  struct Curve: Decodable {
    let fpr: [Double]
    let tpr: [Double]
    /// nil for the first point (+inf).
    let thresholds: [Double?]
  }

  let name: String
  let scores: [Double]
  let labels: [Int]
  let auc: Double
  let roc: Curve
  /// Keyed "0.01" and "0.001".
  let tprAtFpr: [String: Double]
  let eer: Double
  let threshold: Double
  let far: Double
  let frr: Double
  let hter: Double
  let accuracy: Double
  let apcer: Double
  let bpcer: Double
  let acer: Double
  // Only the video case: its frame-level inputs and the video-level scores they average to.
  let frameScores: [Double]?
  let frameLabels: [Int]?
  let frameVideos: [String]?
  let videos: [String]?
  let videoScores: [Double]?
  let videoLabels: [Int]?
}

enum MetricFixtures {
  static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

  /// Every case of metrics.json.
  static func cases() throws -> [MetricCase] {
    struct File: Decodable { let cases: [MetricCase] }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    let data = try Data(contentsOf: dir.appendingPathComponent("metrics.json"))
    return try decoder.decode(File.self, from: data).cases
  }

  static func named(_ name: String) throws -> MetricCase {
    try XCTUnwrap(try cases().first { $0.name == name }, "no case \(name) in metrics.json")
  }
}
