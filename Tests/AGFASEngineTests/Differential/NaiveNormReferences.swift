/// A naive Double reference for layer, group and batch norm (see NaiveReferences.swift).

/// Which elements share statistics and which affine parameter each one uses, as functions of
/// the row-major element index.
struct NormSets {
  var sets: Int
  var parameters: Int
  var set: (Int) -> Int
  var parameter: (Int) -> Int

  /// Layer norm over the trailing `width` elements: one set per row, parameters by column.
  static func layer(count: Int, width: Int) -> NormSets {
    NormSets(sets: count / width, parameters: width, set: { $0 / width }, parameter: { $0 % width })
  }

  /// Group norm of [N, C, spatial...]: one set per (sample, group), parameters by channel.
  static func group(batch: Int, channels: Int, spatial: Int, groups: Int) -> NormSets {
    let perGroup = channels / groups * spatial
    return NormSets(
      sets: batch * groups, parameters: channels, set: { $0 / perGroup }, parameter: { $0 / spatial % channels })
  }

  /// Batch norm of [N, C, spatial...]: one set per channel over the batch.
  static func batch(channels: Int, spatial: Int) -> NormSets {
    NormSets(
      sets: channels, parameters: channels, set: { $0 / spatial % channels }, parameter: { $0 / spatial % channels })
  }
}

/// Each set's mean, mean of absolute values (the scale of the mean's rounding error),
/// biased variance and element count.
struct NormStatistics {
  var mean, meanAbs, variance: [Double]
  var size: Int
}

/// Normalisation forward and gradients of input, weight and bias for the upstream gradient
/// `g`: batch statistics (biased variance) unless `fixed` gives each set's mean and variance
/// (batch norm inference, where no gradient flows through them). Returns those tensors and
/// each set's batch statistics.
///
/// Tolerance: the engine takes each set's sums in fp32 blocks flushed into Double, rounds
/// mean and rstd to fp32 and works element-wise in fp32. A statistic of m elements is off by
/// at most accumulationRoundings(m)·u relative to its Σ|terms| (the mean by that times
/// mean|x|, moving every x - mean by it); rstd enters the input gradient cubed (the square
/// root halves the variance's error, the cube triples it); on top come at most 12 element-
/// wise fp32 roundings. Hence 2·accumulationRoundings(m) + 12 roundings, with magnitudes in
/// which every x - mean counts as |x - mean| + |mean| + mean|x|.
func naiveNorm(
  _ x: [Double], _ sets: NormSets, weight: [Double]?, bias: [Double]?, eps: Double, g: [Double],
  fixed: (mean: [Double], variance: [Double])? = nil
) -> (expected: [Expected], statistics: NormStatistics) {
  let size = Double(x.count / sets.sets)
  var (mean, meanAbs, variance) = (
    [Double](repeating: 0, count: sets.sets), [Double](repeating: 0, count: sets.sets),
    [Double](repeating: 0, count: sets.sets)
  )
  for i in x.indices {
    mean[sets.set(i)] += x[i] / size
    meanAbs[sets.set(i)] += abs(x[i]) / size
  }
  for i in x.indices { variance[sets.set(i)] += (x[i] - mean[sets.set(i)]) * (x[i] - mean[sets.set(i)]) / size }
  let (useMean, useVariance) = fixed ?? (mean, variance)
  let rstd = useVariance.map { 1 / ($0 + eps).squareRoot() }
  /// The scale of the rounding error of x - mean, in units of rstd (see above).
  let shiftError = (0..<sets.sets).map { (abs(useMean[$0]) + meanAbs[$0]) * rstd[$0] }
  let w = { (i: Int) in weight?[sets.parameter(i)] ?? 1 }
  var (out, gw, gb) = (Sums(x.count), Sums(sets.parameters), Sums(sets.parameters))
  // Per set: Σ w g, Σ w g xhat and their absolute sums.
  var (sumWG, sumWGX) = (Sums(sets.sets), Sums(sets.sets))
  var xhat = [Double](repeating: 0, count: x.count)
  for i in x.indices {
    let s = sets.set(i)
    xhat[i] = (x[i] - useMean[s]) * rstd[s]
    out.add(i, xhat[i] * w(i))
    out.magnitude[i] += shiftError[s] * abs(w(i))
    if let bias { out.add(i, bias[sets.parameter(i)]) }
    gw.add(sets.parameter(i), g[i] * xhat[i])
    gw.magnitude[sets.parameter(i)] += abs(g[i]) * shiftError[s]
    gb.add(sets.parameter(i), g[i])
    sumWG.add(s, w(i) * g[i])
    sumWGX.add(s, w(i) * g[i] * xhat[i])
    sumWGX.magnitude[s] += abs(w(i) * g[i]) * shiftError[s]
  }
  var gx = Sums(x.count)
  for i in x.indices {
    let s = sets.set(i)
    gx.add(i, rstd[s] * w(i) * g[i])
    guard fixed == nil else { continue }
    gx.value[i] -= rstd[s] * (sumWG.value[s] + xhat[i] * sumWGX.value[s]) / size
    gx.magnitude[i] += rstd[s] * (sumWG.magnitude[s] + (abs(xhat[i]) + shiftError[s]) * sumWGX.magnitude[s]) / size
  }
  let roundings = 2 * accumulationRoundings(Int(size)) + 12
  let expected = [("output", out), ("grad input", gx), ("grad weight", gw), ("grad bias", gb)].map {
    Expected(name: $0.0, values: $0.1.value, magnitude: $0.1.magnitude, roundings: roundings)
  }
  return (
    [expected[0], expected[1]] + (weight == nil ? [] : [expected[2]]) + (bias == nil ? [] : [expected[3]]),
    NormStatistics(mean: mean, meanAbs: meanAbs, variance: variance, size: Int(size))
  )
}
