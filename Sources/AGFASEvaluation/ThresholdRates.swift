/// Error rates when every sample scoring >= `threshold` is accepted as live.
///
/// FAR = spoofs with score >= threshold / spoofs (ISO 30107-3 APCER: attacks accepted);
/// FRR = lives with score < threshold / lives (BPCER: bona fide rejected);
/// HTER = ACER = (FAR + FRR) / 2; accuracy = (lives accepted + spoofs rejected) / samples.
public struct ThresholdRates: Equatable, Sendable, Codable {
  public var threshold: Double
  public var far: Double
  public var frr: Double
  public var accuracy: Double

  /// Half total error rate, (FAR + FRR) / 2.
  public var hter: Double { (far + frr) / 2 }

  /// The rates of `data` at `threshold`.
  public init(_ data: BinaryScores, threshold: Double) {
    var liveRejected = 0
    var spoofAccepted = 0
    for (score, label) in zip(data.scores, data.labels) {
      if score >= threshold {
        spoofAccepted += 1 - label
      } else {
        liveRejected += label
      }
    }
    self.init(
      threshold: threshold, spoofAccepted: spoofAccepted, liveRejected: liveRejected, spoofs: data.spoofs,
      lives: data.lives)
  }

  /// The rates from counts; integer ratios divide as Python's `a / float(b)` does.
  init(threshold: Double, spoofAccepted: Int, liveRejected: Int, spoofs: Int, lives: Int) {
    self.threshold = threshold
    far = Double(spoofAccepted) / Double(spoofs)
    frr = Double(liveRejected) / Double(lives)
    accuracy = Double((lives - liveRejected) + (spoofs - spoofAccepted)) / Double(lives + spoofs)
  }
}
