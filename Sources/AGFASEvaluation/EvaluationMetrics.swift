/// The figures the reference reports for a set of (video-level) scores (docs/method.md §6), with
/// label 1 = live as the positive class and score = P(live).
///
/// - `auc`: ROC area, equal to scikit-learn's `roc_auc_score(labels, scores)`.
/// - `eer`, `eerThreshold`, `eerFAR`, `eerFRR`: the reference's grid search (`EERGrid`).
/// - `threshold`: where the rest is measured: the EER threshold, unless one was given (for
///   example a threshold chosen on other data). With the EER threshold, HTER equals the EER.
/// - `hter` = (FAR + FRR) / 2 and `accuracy` at `threshold` (`ThresholdRates`).
/// - `apcer` (= FAR, attacks accepted), `bpcer` (= FRR, bona fide rejected), `acer` (their
///   mean, = HTER) at `threshold`, with ISO/IEC 30107-3's names.
/// - `tprAtFPR1Percent`, `tprAtFPR01Percent`: `ROCCurve.tpr(atFPR:)` at 0.01 and 0.001.
public struct EvaluationMetrics: Equatable, Sendable, Codable {
  public var samples: Int
  public var lives: Int
  public var spoofs: Int
  public var auc: Double
  public var eer: Double
  public var eerThreshold: Double
  public var eerFAR: Double
  public var eerFRR: Double
  public var threshold: Double
  public var hter: Double
  public var accuracy: Double
  public var apcer: Double
  public var bpcer: Double
  public var acer: Double
  public var tprAtFPR1Percent: Double
  public var tprAtFPR01Percent: Double

  enum CodingKeys: String, CodingKey {
    case samples, lives, spoofs, auc, eer
    case eerThreshold = "eer_threshold"
    case eerFAR = "eer_far"
    case eerFRR = "eer_frr"
    case threshold, hter, accuracy, apcer, bpcer, acer
    case tprAtFPR1Percent = "tpr_at_fpr_0.01"
    case tprAtFPR01Percent = "tpr_at_fpr_0.001"
  }

  /// Every metric of `data`; `threshold` (nil: the EER threshold) must be finite.
  public init(_ data: BinaryScores, threshold: Double? = nil) throws {
    try self.init(data, curve: ROCCurve(data), threshold: threshold)
  }

  /// As `init(_:threshold:)`, reusing a curve already built from `data`.
  public init(_ data: BinaryScores, curve: ROCCurve, threshold: Double? = nil) throws {
    if let threshold, !threshold.isFinite {
      throw EvaluationError.invalidArgument("threshold \(threshold) is not a finite number")
    }
    let (eer, atEER) = EERGrid.search(data)
    let rates = threshold.map { ThresholdRates(data, threshold: $0) } ?? atEER
    samples = data.scores.count
    lives = data.lives
    spoofs = data.spoofs
    auc = curve.auc
    self.eer = eer
    eerThreshold = atEER.threshold
    eerFAR = atEER.far
    eerFRR = atEER.frr
    self.threshold = rates.threshold
    hter = rates.hter
    accuracy = rates.accuracy
    apcer = rates.far
    bpcer = rates.frr
    acer = (rates.far + rates.frr) / 2
    tprAtFPR1Percent = curve.tpr(atFPR: 0.01)
    tprAtFPR01Percent = curve.tpr(atFPR: 0.001)
  }
}
