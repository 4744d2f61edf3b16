/// The equal error rate as the SSDG-family reference code finds it (AG-FAS's evaluation):
/// thresholds i / 10000 for i = 0 ... 10000, then 1.1, visited in that order; a threshold
/// replaces the current choice when its |FRR - FAR| is <= the smallest seen so far (starting
/// at 1.0), so ties go to the LAST such threshold; EER = (FAR + FRR) / 2 at the choice.
public enum EERGrid {
  /// The grid; each point divides as Python's `i / 10000.0`, so scores such as 0.1234 fall
  /// exactly on it.
  public static let thresholds: [Double] = (0...10000).map { Double($0) / 10000.0 } + [1.1]

  /// The EER and the rates at its threshold.
  public static func search(_ data: BinaryScores) -> (eer: Double, rates: ThresholdRates) {
    // Both sweeps only move forward as the threshold rises: `lives[..<l]` and `spoofs[..<s]`
    // are the scores below the current threshold.
    let (lives, spoofs) = data.sortedByClass
    var l = 0
    var s = 0
    var best = 1.0
    var chosen: ThresholdRates?
    for threshold in thresholds {
      while l < lives.count && lives[l] < threshold { l += 1 }
      while s < spoofs.count && spoofs[s] < threshold { s += 1 }
      let rates = ThresholdRates(
        threshold: threshold, spoofAccepted: spoofs.count - s, liveRejected: l, spoofs: spoofs.count,
        lives: lives.count)
      let distance = abs(rates.frr - rates.far)
      if distance <= best {
        best = distance
        chosen = rates
      }
    }
    // |FRR - FAR| <= 1 always, so the first threshold is always taken and `chosen` is set.
    let rates = chosen!
    return ((rates.far + rates.frr) / 2, rates)
  }
}
