/// The math shared by group and batch normalisation: per-set statistics over a `ChannelView`,
/// the per-channel affine output, and the gradients.
///
/// A statistics set is a group of channels of one sample (group norm) or one channel over
/// the whole batch (batch norm). Every formula reduces to per-(n, c) coefficients, so the
/// element loops are the two `ChannelView.normalize*` kernels.
struct ChannelNormSets {
  let view: ChannelView
  /// Sets per sample (group norm: the groups) or the channel count (batch norm).
  let groups: Int

  init(_ x: Tensor, groups: Int, perSample: Bool) {
    view = ChannelView(x, perSample: perSample)
    self.groups = groups
  }

  private var channelsPerSet: Int { view.c / max(groups, 1) }
  var count: Int { view.perSample ? view.n * groups : groups }
  /// Elements each statistic is taken over.
  var size: Int { channelsPerSet * view.s * (view.perSample ? 1 : view.n) }

  /// The set of coefficient entry `e` (see `ChannelView.perSample`).
  @inline(__always)
  private func set(_ e: Int) -> Int { (view.perSample ? (e / view.c) * groups : 0) + (e % view.c) / channelsPerSet }

  /// Per-set values spread to coefficient entries.
  private func spread(_ perSet: [Double], times weight: [Float]? = nil) -> [Float] {
    (0..<view.coefficientCount).map { e in Float(perSet[set(e)] * Double(weight?[e % view.c] ?? 1)) }
  }

  /// Coefficient entries summed into their sets.
  private func gather(_ entries: [Double], weight: [Float]?) -> [Double] {
    var out = [Double](repeating: 0, count: count)
    for e in entries.indices { out[set(e)] += entries[e] * Double(weight?[e % view.c] ?? 1) }
    return out
  }

  /// Coefficient entries (times a per-set factor) summed into their channels.
  private func perChannel(_ entries: [Double], times factor: [Double]? = nil) -> [Float] {
    var out = [Double](repeating: 0, count: view.c)
    for e in entries.indices { out[e % view.c] += entries[e] * (factor?[set(e)] ?? 1) }
    return out.map { Float($0) }
  }

  /// Mean and biased variance of each set, two-pass in Double.
  func statistics<E: NormElement>(_ x: UnsafePointer<E>) -> (mean: [Double], variance: [Double]) {
    let m = Double(size)
    let mean = gather(view.sums(x), weight: nil).map { $0 / m }
    let variance = gather(view.squaredDeviations(x, mean: spread(mean)), weight: nil).map { $0 / m }
    return (mean, variance)
  }

  /// `out = (x - mean) * rstd * weight[c] + bias[c]`, in the element type of `x` (fp32, or
  /// bf16 in and out for inference).
  func normalize<E: NormElement>(
    _ x: UnsafePointer<E>, into out: UnsafeMutablePointer<E>, mean: [Double], rstd: [Double], weight: [Float]?,
    bias: [Float]?
  ) {
    let shift = (0..<view.coefficientCount).map { e in bias?[e % view.c] ?? 0 }
    view.normalize(x, into: out, mean: spread(mean), xScale: spread(rstd, times: weight), shift: shift)
  }

  /// The forward: batch statistics (or the `fixed` mean and rstd) and the normalised output,
  /// in the element type of `x`. Returns the mean, the biased variance (empty when fixed) and
  /// the rstd the output used.
  func forward<E: NormElement>(
    _ x: UnsafePointer<E>, into out: UnsafeMutablePointer<E>, fixed: (mean: [Double], rstd: [Double])?, eps: Float,
    weight: [Float]?, bias: [Float]?
  ) -> (mean: [Double], variance: [Double], rstd: [Double]) {
    let (mean, variance) = fixed.map { ($0.mean, []) } ?? statistics(x)
    let rstd = fixed?.rstd ?? variance.map { reciprocalStd($0, eps: eps) }
    normalize(x, into: out, mean: mean, rstd: rstd, weight: weight, bias: bias)
    return (mean, variance, rstd)
  }

  /// Gradients of `normalize` given the output gradient `g`. With `batchStatistics` the mean
  /// and rstd are functions of x (training), otherwise constants (batch norm inference).
  /// Writes the input gradient into `gradInput` when given; returns the weight and bias
  /// gradients (per channel).
  func backward(
    _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mean: [Double], rstd: [Double], weight: [Float]?,
    batchStatistics: Bool, gradInput: UnsafeMutablePointer<Float>?
  ) -> (weight: [Float], bias: [Float]) {
    let (sumG, sumGX) = view.gradSums(g, x, mean: spread(mean))
    let gradBias = perChannel(sumG)
    let gradWeight = perChannel(sumGX, times: rstd)
    guard let gradInput else { return (gradWeight, gradBias) }
    // dx = rstd * (w g - mean_set(w g) - xhat * mean_set(w g xhat)), xhat = (x - mean) rstd,
    // which per coefficient entry is g * (rstd w) + (x - mean) * xScale + shift.
    var xScale = [Float](repeating: 0, count: view.coefficientCount)
    var shift = xScale
    if batchStatistics {
      let m = Double(size)
      let setG = gather(sumG, weight: weight)
      let setGX = gather(sumGX, weight: weight)
      xScale = spread(rstd.indices.map { -rstd[$0] * rstd[$0] * rstd[$0] * setGX[$0] / m })
      shift = spread(rstd.indices.map { -rstd[$0] * setG[$0] / m })
    }
    view.apply(
      g, x, into: gradInput, mean: spread(mean), gScale: spread(rstd, times: weight), xScale: xScale, shift: shift)
    return (gradWeight, gradBias)
  }
}
