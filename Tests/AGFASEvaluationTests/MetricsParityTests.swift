import AGFASEvaluation
import XCTest

/// Every metric equals scikit-learn's (AUC, ROC curve, TPR@FPR) and the reference's grid
/// procedure (EER, its threshold, HTER, accuracy, APCER/BPCER/ACER) on the fixture cases:
/// random overlapping scores of several sizes, ties, scores on grid points, one score for
/// all, separable, inverted, imbalanced, float32 scores, and frames averaged per video.
final class MetricsParityTests: XCTestCase {
  func testAUCMatchesRocAucScore() throws {
    for c in try MetricFixtures.cases() {
      let curve = ROCCurve(try BinaryScores(scores: c.scores, labels: c.labels))
      // Trapezoids summed in a different order from numpy's pairwise sum: last-bit differences.
      XCTAssertEqual(curve.auc, c.auc, accuracy: 1e-12, c.name)
    }
  }

  func testROCCurvePointsMatchRocCurve() throws {
    for c in try MetricFixtures.cases() {
      let points = ROCCurve(try BinaryScores(scores: c.scores, labels: c.labels)).points
      XCTAssertEqual(points.map(\.fpr), c.roc.fpr, c.name)
      XCTAssertEqual(points.map(\.tpr), c.roc.tpr, c.name)
      XCTAssertEqual(points.map(\.threshold), c.roc.thresholds, c.name)
    }
  }

  func testGridMetricsEqualTheReferenceExactly() throws {
    for c in try MetricFixtures.cases() {
      let m = try EvaluationMetrics(try BinaryScores(scores: c.scores, labels: c.labels))
      XCTAssertEqual(m.eer, c.eer, "\(c.name) eer")
      XCTAssertEqual(m.eerThreshold, c.threshold, "\(c.name) threshold")
      XCTAssertEqual(m.threshold, c.threshold, "\(c.name) threshold")
      XCTAssertEqual(m.eerFAR, c.far, "\(c.name) far")
      XCTAssertEqual(m.eerFRR, c.frr, "\(c.name) frr")
      XCTAssertEqual(m.hter, c.hter, "\(c.name) hter")
      XCTAssertEqual(m.accuracy, c.accuracy, "\(c.name) accuracy")
      XCTAssertEqual(m.apcer, c.apcer, "\(c.name) apcer")
      XCTAssertEqual(m.bpcer, c.bpcer, "\(c.name) bpcer")
      XCTAssertEqual(m.acer, c.acer, "\(c.name) acer")
      XCTAssertEqual(m.tprAtFPR1Percent, c.tprAtFpr["0.01"], "\(c.name) tpr@1%")
      XCTAssertEqual(m.tprAtFPR01Percent, c.tprAtFpr["0.001"], "\(c.name) tpr@0.1%")
      XCTAssertEqual(m.auc, c.auc, accuracy: 1e-12, c.name)
      XCTAssertEqual(
        [m.samples, m.lives, m.spoofs], [c.labels.count, c.labels.reduce(0, +), c.labels.filter { $0 == 0 }.count])
    }
  }

  func testThresholdRatesAtAGridPointCountEqualScoresAsAccepted() throws {
    // Scores rounded to 0.001 sit exactly on grid points: >= must accept them.
    let c = try MetricFixtures.named("ties_on_grid")
    let data = try BinaryScores(scores: c.scores, labels: c.labels)
    let rates = ThresholdRates(data, threshold: c.threshold)
    XCTAssertTrue(c.scores.contains(c.threshold), "the case should put a score on its EER threshold")
    XCTAssertEqual([rates.far, rates.frr, rates.accuracy, rates.hter], [c.far, c.frr, c.accuracy, c.hter])
  }

  func testAGivenThresholdMovesHTERButNotEER() throws {
    let c = try MetricFixtures.named("random_150_170")
    let data = try BinaryScores(scores: c.scores, labels: c.labels)
    let m = try EvaluationMetrics(data, threshold: 0.5)
    let rates = ThresholdRates(data, threshold: 0.5)
    XCTAssertEqual(m.eer, c.eer)
    XCTAssertEqual(m.eerThreshold, c.threshold)
    XCTAssertEqual(
      [m.threshold, m.apcer, m.bpcer, m.hter, m.acer, m.accuracy],
      [0.5, rates.far, rates.frr, rates.hter, rates.hter, rates.accuracy])
  }

  func testFramesAverageIntoTheFixtureVideosAndTheirMetrics() throws {
    let c = try MetricFixtures.named("videos")
    let frames = try XCTUnwrap(c.frameScores).indices.map {
      FrameScore(score: c.frameScores![$0], label: c.frameLabels![$0], video: c.frameVideos![$0])
    }
    let videos = try VideoAggregation.average(frames)
    XCTAssertEqual(videos.map(\.video), c.videos)
    XCTAssertEqual(videos.map(\.score), c.videoScores)
    XCTAssertEqual(videos.map(\.label), c.videoLabels)
    XCTAssertEqual(videos.map(\.frames).reduce(0, +), frames.count)
    let report = try EvaluationReport(frames: frames)
    XCTAssertEqual(report.metrics.eer, c.eer)
    XCTAssertEqual(report.metrics.hter, c.hter)
    XCTAssertEqual(report.metrics.eerThreshold, c.threshold)
    XCTAssertEqual(report.metrics.auc, c.auc, accuracy: 1e-12)
    XCTAssertEqual(report.roc.map(\.fpr), c.roc.fpr)
  }

  func testEdgeCasesBehaveAsTheReference() throws {
    let equal = try MetricFixtures.named("all_equal")
    let m = try EvaluationMetrics(try BinaryScores(scores: equal.scores, labels: equal.labels))
    // All scores 0.5: |FRR - FAR| is 0 below 0.5 and above it, so the last grid point (1.1) wins.
    XCTAssertEqual([m.auc, m.eer, m.eerThreshold], [0.5, 0.5, 1.1])
    let inverted = try MetricFixtures.named("inverted")
    let mi = try EvaluationMetrics(try BinaryScores(scores: inverted.scores, labels: inverted.labels))
    XCTAssertEqual([mi.auc, mi.eer, mi.hter, mi.accuracy], [0, 1, 1, 0])
  }
}
