/// Scores with binary labels, checked once so every metric can rely on them: at least one
/// live (label 1) and one spoof (label 0), every score finite. A score is P(live): higher
/// means more live, and a sample is accepted as live when its score is >= the threshold.
public struct BinaryScores: Equatable, Sendable {
  /// P(live) per sample.
  public let scores: [Double]
  /// 1 live (bona fide), 0 spoof (attack), per sample.
  public let labels: [Int]
  /// How many samples are live.
  public let lives: Int
  /// How many samples are spoofs.
  public let spoofs: Int

  /// Checks and wraps `scores` and `labels`; `names` (when given) name the samples in errors,
  /// otherwise they are "sample i" (0-based).
  public init(scores: [Double], labels: [Int], names: [String]? = nil) throws {
    guard scores.count == labels.count else {
      throw EvaluationError.countMismatch(scores: scores.count, labels: labels.count)
    }
    guard !scores.isEmpty else { throw EvaluationError.empty }
    if let names, names.count != scores.count {
      throw EvaluationError.invalidArgument("\(names.count) sample names for \(scores.count) scores")
    }
    func name(_ i: Int) -> String { names.map { $0[i] } ?? "sample \(i)" }
    for (i, (score, label)) in zip(scores, labels).enumerated() {
      guard score.isFinite else { throw EvaluationError.nonFiniteScore(item: name(i), value: score) }
      guard label == 0 || label == 1 else { throw EvaluationError.invalidLabel(item: name(i), label: label) }
    }
    let lives = labels.reduce(0, +)
    guard lives > 0, lives < labels.count else {
      throw EvaluationError.singleClass(label: lives > 0 ? 1 : 0, count: labels.count)
    }
    self.scores = scores
    self.labels = labels
    self.lives = lives
    self.spoofs = labels.count - lives
  }

  /// The video-level scores of `videos`, named by video in errors.
  public init(_ videos: [VideoScore]) throws {
    try self.init(scores: videos.map(\.score), labels: videos.map(\.label), names: videos.map { "video '\($0.video)'" })
  }

  /// Live scores and spoof scores, each sorted ascending (for threshold sweeps).
  var sortedByClass: (lives: [Double], spoofs: [Double]) {
    var live: [Double] = []
    var spoof: [Double] = []
    live.reserveCapacity(lives)
    spoof.reserveCapacity(spoofs)
    for (score, label) in zip(scores, labels) {
      if label == 1 { live.append(score) } else { spoof.append(score) }
    }
    return (live.sorted(), spoof.sorted())
  }
}
