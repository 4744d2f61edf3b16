import AGFASEvaluation
import AGFASTestSupport
import XCTest

/// Inputs the metrics cannot be defined on are refused with a message naming the problem.
final class EvaluationErrorTests: XCTestCase {
  func testEmptyInputIsRefused() {
    XCTAssertEqual(errorMessage { _ = try BinaryScores(scores: [], labels: []) }, "no scores to evaluate")
    XCTAssertEqual(errorMessage { _ = try VideoAggregation.average([]) }, "no scores to evaluate")
  }

  func testASingleClassIsRefused() {
    XCTAssertEqual(
      errorMessage { _ = try BinaryScores(scores: [0.2, 0.9], labels: [1, 1]) },
      "all 2 samples are live (1): evaluation needs both live and spoof samples")
    XCTAssertEqual(
      errorMessage { _ = try BinaryScores(scores: [0.2], labels: [0]) },
      "all 1 samples are spoof (0): evaluation needs both live and spoof samples")
  }

  func testNaNAndInfiniteScoresAreNamed() {
    XCTAssertEqual(
      errorMessage { _ = try BinaryScores(scores: [0.2, .nan], labels: [1, 0]) },
      "sample 1: score nan is not a finite number")
    XCTAssertEqual(
      errorMessage { _ = try VideoAggregation.average([FrameScore(score: .infinity, label: 1, video: "v7")]) },
      "frame 0 (video 'v7'): score inf is not a finite number")
    let videos = [
      VideoScore(video: "a", score: 0.3, label: 1, frames: 2), VideoScore(video: "b", score: .nan, label: 0, frames: 1),
    ]
    XCTAssertEqual(errorMessage { _ = try BinaryScores(videos) }, "video 'b': score nan is not a finite number")
  }

  func testBadLabelsAndLengthsAreRefused() {
    XCTAssertEqual(
      errorMessage { _ = try BinaryScores(scores: [0.2, 0.4], labels: [1, 2]) },
      "sample 1: label 2 is neither 1 (live) nor 0 (spoof)")
    XCTAssertEqual(errorMessage { _ = try BinaryScores(scores: [0.2], labels: [1, 0]) }, "1 scores but 2 labels")
  }

  func testAVideoWithBothLabelsIsNamed() {
    let frames = [
      FrameScore(score: 0.9, label: 1, video: "v1", origin: "s.csv:2"),
      FrameScore(score: 0.1, label: 0, video: "v2", origin: "s.csv:3"),
      FrameScore(score: 0.8, label: 0, video: "v1", origin: "s.csv:4"),
    ]
    XCTAssertEqual(
      errorMessage { _ = try VideoAggregation.average(frames) },
      "video 'v1' has frames labelled 1 and 0 (first disagreeing frame: s.csv:4)")
  }

  func testVideoScoresAreFrameMeansInFirstAppearanceOrder() throws {
    let frames = [
      FrameScore(score: 0.5, label: 0, video: "b"), FrameScore(score: 0.9, label: 1, video: "a"),
      FrameScore(score: 0.25, label: 0, video: "b"), FrameScore(score: 0.0, label: 0, video: "b"),
    ]
    XCTAssertEqual(
      try VideoAggregation.average(frames),
      [
        VideoScore(video: "b", score: 0.25, label: 0, frames: 3),
        VideoScore(video: "a", score: 0.9, label: 1, frames: 1),
      ])
  }

  func testANonFiniteThresholdIsRefused() throws {
    let data = try BinaryScores(scores: [0.2, 0.8], labels: [0, 1])
    XCTAssertEqual(
      errorMessage { _ = try EvaluationMetrics(data, threshold: .nan) }, "threshold nan is not a finite number")
  }
}
