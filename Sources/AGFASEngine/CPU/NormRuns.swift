/// Horizontal reductions over one contiguous run of fp32 values, the building blocks of the
/// normalisation kernels.
///
/// Lanes accumulate in fp32 over blocks of at most `normBlock` elements and each block's
/// total is added in Double: statistics stay within fp32 rounding of an exact sum for runs of
/// any length (ViT's layer norm uses eps 1e-12, so nothing else protects the variance).

/// Elements per fp32 block before it is flushed into the Double total.
let normBlock = 256

/// Sum of `p[0..<n]`.
func runSum<E: NormElement>(_ p: UnsafePointer<E>, _ n: Int) -> Double {
  var total: Double = 0
  var start = 0
  while start < n {
    let end = min(n, start + normBlock)
    var acc = SIMD8<Float>(repeating: 0)
    var i = start
    while i + 8 <= end {
      acc += E.vector(p + i)
      i += 8
    }
    var tail: Float = 0
    while i < end {
      tail += E.float(p, i)
      i += 1
    }
    total += Double(acc.sum() + tail)
    start = end
  }
  return total
}

/// Sum of `(p[i] - mean)^2`: the second pass of a two-pass variance.
func runSquaredDeviation<E: NormElement>(_ p: UnsafePointer<E>, _ n: Int, mean: Float) -> Double {
  var total: Double = 0
  let m = SIMD8<Float>(repeating: mean)
  var start = 0
  while start < n {
    let end = min(n, start + normBlock)
    var acc = SIMD8<Float>(repeating: 0)
    var i = start
    while i + 8 <= end {
      let d = E.vector(p + i) - m
      acc += d * d
      i += 8
    }
    var tail: Float = 0
    while i < end {
      let d = E.float(p, i) - mean
      tail += d * d
      i += 1
    }
    total += Double(acc.sum() + tail)
    start = end
  }
  return total
}

/// `(sum g[i], sum g[i] * (x[i] - mean))`: the two sums a normalisation backward needs.
func runGradSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, mean: Float) -> (Double, Double) {
  var totalG: Double = 0
  var totalGX: Double = 0
  let m = SIMD8<Float>(repeating: mean)
  var start = 0
  while start < n {
    let end = min(n, start + normBlock)
    var accG = SIMD8<Float>(repeating: 0)
    var accGX = SIMD8<Float>(repeating: 0)
    var i = start
    while i + 8 <= end {
      let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
      let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
      accG += gv
      accGX += gv * (xv - m)
      i += 8
    }
    var tailG: Float = 0
    var tailGX: Float = 0
    while i < end {
      tailG += g[i]
      tailGX += g[i] * (x[i] - mean)
      i += 1
    }
    totalG += Double(accG.sum() + tailG)
    totalGX += Double(accGX.sum() + tailGX)
    start = end
  }
  return (totalG, totalGX)
}

/// `1 / sqrt(variance + eps)` in Double, so that tiny eps (1e-12) is not lost to rounding.
@inline(__always)
func reciprocalStd(_ variance: Double, eps: Float) -> Double {
  1 / (max(variance, 0) + Double(eps)).squareRoot()
}
