/// One point of a ROC curve: the rates when samples scoring >= `threshold` are accepted as live.
public struct ROCPoint: Equatable, Sendable, Codable {
  /// False positive rate: spoofs accepted / spoofs.
  public var fpr: Double
  /// True positive rate: lives accepted / lives.
  public var tpr: Double
  /// The score threshold; nil for the curve's first point, (0, 0), whose threshold is +inf.
  public var threshold: Double?

  public init(fpr: Double, tpr: Double, threshold: Double?) {
    self.fpr = fpr
    self.tpr = tpr
    self.threshold = threshold
  }
}

/// The ROC curve of P(live) scores with live as the positive class, built as scikit-learn's
/// `roc_curve(labels, scores)` with its defaults (drop_intermediate=True), so `auc` equals
/// `roc_auc_score` (ties between classes count half, as the trapezoid through them does).
public struct ROCCurve: Equatable, Sendable {
  /// From (0, 0) at threshold +inf to (1, 1) at the lowest score; FPR and TPR never decrease.
  public let points: [ROCPoint]

  public init(_ data: BinaryScores) {
    // One candidate point per distinct score, highest first: cumulative counts of lives (tps)
    // and spoofs (fps) scoring >= it.
    let order = data.scores.indices.sorted { data.scores[$0] > data.scores[$1] }
    var tps: [Int] = []
    var fps: [Int] = []
    var thresholds: [Double] = []
    var tp = 0
    for (k, i) in order.enumerated() {
      tp += data.labels[i]
      if k + 1 == order.count || data.scores[order[k + 1]] != data.scores[i] {
        tps.append(tp)
        fps.append(k + 1 - tp)
        thresholds.append(data.scores[i])
      }
    }
    // sklearn's drop_intermediate: keep the ends and every point whose second differences
    // in fps or tps are non-zero (drops points inside straight runs of equal steps).
    var kept: [Int] = []
    for k in tps.indices {
      let isEnd = k == 0 || k == tps.count - 1
      if isEnd || fps[k + 1] - 2 * fps[k] + fps[k - 1] != 0 || tps[k + 1] - 2 * tps[k] + tps[k - 1] != 0 {
        kept.append(k)
      }
    }
    let (lives, spoofs) = (Double(data.lives), Double(data.spoofs))
    points =
      [ROCPoint(fpr: 0, tpr: 0, threshold: nil)]
      + kept.map { ROCPoint(fpr: Double(fps[$0]) / spoofs, tpr: Double(tps[$0]) / lives, threshold: thresholds[$0]) }
  }

  /// Area under the curve by the trapezoid rule (sklearn's `auc(fpr, tpr)`).
  public var auc: Double {
    var area = 0.0
    for k in 1..<points.count {
      area += (points[k].fpr - points[k - 1].fpr) * (points[k].tpr + points[k - 1].tpr) / 2
    }
    return area
  }

  /// TPR of the last curve point whose FPR is <= `fpr`: no interpolation, so it is a rate the
  /// scores actually reach. As Python: `tpr[np.searchsorted(fpr, target, side="right") - 1]`.
  public func tpr(atFPR target: Double) -> Double {
    var best = points[0].tpr
    for point in points where point.fpr <= target { best = point.tpr }
    return best
  }
}
