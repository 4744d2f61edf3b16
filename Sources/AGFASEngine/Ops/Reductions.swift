/// Statistics over axes: mean, variance, standard deviation, max/min and argmax
/// (PyTorch's mean, var, std, amax, amin, argmax).
///
/// Axes may be negative and are given once each; an empty `axes` reduces nothing (unlike
/// PyTorch's `dim=[]`; use the whole-tensor forms). Any layout is accepted; results are
/// row-major in the input's dtype, computed in fp32 (with fp64 accumulation) and rounded once.
extension Tensor {
  /// Arithmetic mean over `axes`, keeping them as size-1 dims when `keepDims`.
  public func mean(axes: [Int], keepDims: Bool = false) throws -> Tensor {
    let ax = try reductionAxes(axes, op: "mean")
    let n = reducedCount(ax)
    let out = try reduceRows(ax, keepDims: keepDims, op: "mean") { row, count, stride in
      var acc: Double = 0
      for i in 0..<count { acc += Double(row[i * stride]) }
      return Float(acc / Double(count))
    }
    return out.recorded("mean", inputs: [self]) { [shape] g in
      // Divide the small gradient first: one rounding, as torch's expand-then-divide.
      let kept = keepDims ? g : try g.reshaped(Tensor.keptShape(shape, ax))
      return [try (kept / Float(n)).expanded(to: shape)]
    }
  }

  /// Mean of all elements, as a rank-0 tensor.
  public func mean() throws -> Tensor { try mean(axes: Array(0..<rank)) }

  /// Variance over `axes`: sum of squared deviations divided by n - 1 (`unbiased`, Bessel's
  /// correction, torch's default) or by n.
  public func variance(axes: [Int], unbiased: Bool = true, keepDims: Bool = false) throws -> Tensor {
    try spread("variance", axes: axes, unbiased: unbiased, keepDims: keepDims, root: false)
  }

  /// Standard deviation over `axes`: the square root of `variance(axes:unbiased:keepDims:)`.
  public func standardDeviation(axes: [Int], unbiased: Bool = true, keepDims: Bool = false) throws -> Tensor {
    try spread("standardDeviation", axes: axes, unbiased: unbiased, keepDims: keepDims, root: true)
  }

  /// Variance of all elements, as a rank-0 tensor.
  public func variance(unbiased: Bool = true) throws -> Tensor {
    try variance(axes: Array(0..<rank), unbiased: unbiased)
  }

  /// Standard deviation of all elements, as a rank-0 tensor.
  public func standardDeviation(unbiased: Bool = true) throws -> Tensor {
    try standardDeviation(axes: Array(0..<rank), unbiased: unbiased)
  }

  /// Largest element over `axes` (torch.amax). The gradient is split evenly among the
  /// elements equal to the maximum; NaN propagates.
  public func max(axes: [Int], keepDims: Bool = false) throws -> Tensor {
    try extremum("max", axes: axes, keepDims: keepDims, largest: true)
  }

  /// Smallest element over `axes` (torch.amin); gradient as for `max(axes:keepDims:)`.
  public func min(axes: [Int], keepDims: Bool = false) throws -> Tensor {
    try extremum("min", axes: axes, keepDims: keepDims, largest: false)
  }

  /// Largest element, as a rank-0 tensor (torch.max(x): ties share the gradient).
  public func max() throws -> Tensor { try max(axes: Array(0..<rank)) }

  /// Smallest element, as a rank-0 tensor (torch.min(x): ties share the gradient).
  public func min() throws -> Tensor { try min(axes: Array(0..<rank)) }

  /// Index of the largest element along `axis` (torch.argmax): the first one on ties, the
  /// first NaN if any. Returned as an untracked fp32 tensor (exact below 2^24) of the
  /// input's shape without `axis` (size 1 there with `keepDims`).
  public func argmax(axis: Int, keepDims: Bool = false) throws -> Tensor {
    let ax = try reductionAxes([axis], op: "argmax")
    try requireNonEmpty(ax, op: "argmax")
    return try detached().reduceRows(ax, keepDims: keepDims, op: "argmax", outType: .float32) { row, n, stride in
      Float(argmaxIndex(row, n, stride))
    }
  }
}

// MARK: - Shared pieces

extension Tensor {
  /// Normalised reduction axes; throws naming `op` and the shape on a bad or repeated axis.
  func reductionAxes(_ axes: [Int], op: String) throws -> Set<Int> {
    var seen = Set<Int>()
    for a in axes {
      let d = a < 0 ? a + rank : a
      // A rank-0 tensor accepts axis 0 / -1 (as torch does) and has nothing to reduce.
      guard d >= 0, d < Swift.max(rank, 1) else {
        throw TensorError.invalidArgument(op: op, reason: "axis \(a) is out of range for shape \(shape)")
      }
      guard seen.insert(d).inserted else {
        throw TensorError.invalidArgument(
          op: op, reason: "axis \(a) appears more than once in \(axes) for shape \(shape)")
      }
    }
    return rank == 0 ? [] : seen
  }

  /// Number of input elements that reduce into one output element.
  func reducedCount(_ axes: Set<Int>) -> Int { axes.reduce(1) { $0 * shape[$1] } }

  func requireNonEmpty(_ axes: Set<Int>, op: String) throws {
    if reducedCount(axes) == 0 {
      throw TensorError.invalidArgument(op: op, reason: "cannot reduce over an empty axis of shape \(shape)")
    }
  }

  /// variance / standardDeviation: two-pass moments in fp64 per run.
  private func spread(_ op: String, axes: [Int], unbiased: Bool, keepDims: Bool, root: Bool) throws -> Tensor {
    let ax = try reductionAxes(axes, op: op)
    let correction = unbiased ? 1 : 0
    let out = try reduceRows(ax, keepDims: keepDims, op: op) { row, n, stride in
      var sum: Double = 0
      for i in 0..<n { sum += Double(row[i * stride]) }
      let m = sum / Double(n)
      var sq: Double = 0
      for i in 0..<n {
        let d = Double(row[i * stride]) - m
        sq += d * d
      }
      // n - correction <= 0 gives inf/NaN, as in PyTorch.
      let v = sq / Double(Swift.max(0, n - correction))
      return Float(root ? v.squareRoot() : v)
    }
    let denom = Float(Swift.max(0, reducedCount(ax) - correction))
    return out.recorded(op, inputs: [self]) { [self] g in
      let keptShape = Tensor.keptShape(self.shape, ax)
      var gk = keepDims ? g : try g.reshaped(keptShape)
      if root {
        // d sqrt(v) = dv / (2 sqrt(v)); zero where the deviation is zero (torch's mask).
        gk = try Tensor.halfOverRoot(gk, keepDims ? out : out.reshaped(keptShape))
      }
      // dv/dx = 2 (x - mean) / (n - correction), the order torch's var_backward rounds in.
      let x = self.detached()
      return [try (x - x.mean(axes: Array(ax), keepDims: true)) * (gk * (2 / denom))]
    }
  }

  /// `g / (2 r)`, and 0 where r == 0 (std's gradient factor), in g's dtype.
  private static func halfOverRoot(_ g: Tensor, _ r: Tensor) throws -> Tensor {
    let (gf, rf) = (try g.fp32RowMajor(), try r.fp32RowMajor())
    let out = Tensor.empty(g.shape, dtype: .float32)
    let (a, b, o) = (gf.floats(), rf.floats(), out.floats())
    for i in 0..<o.count { o[i] = b[i] == 0 ? 0 : a[i] / (b[i] * 2) }
    return out.convertedUntracked(to: g.dtype)
  }

  /// amax / amin forward and their tie-splitting backward.
  private func extremum(_ op: String, axes: [Int], keepDims: Bool, largest: Bool) throws -> Tensor {
    let ax = try reductionAxes(axes, op: op)
    try requireNonEmpty(ax, op: op)
    let out = try reduceRows(ax, keepDims: keepDims, op: op) { row, n, stride in
      extremeValue(row, n, stride, largest: largest)
    }
    return out.recorded(op, inputs: [self]) { [self] g in
      [try self.detached().tieSplitGradient(axes: ax, result: out, grad: g)]
    }
  }

  /// Gradient of amax/amin: each output's gradient divided evenly among the inputs of its run
  /// that equal the result (NaN matching NaN), zero elsewhere. Returned in this dtype.
  func tieSplitGradient(axes: Set<Int>, result: Tensor, grad: Tensor) throws -> Tensor {
    let runs = try reductionRuns(axes)
    let (outer, inner) = (runs.outer, runs.inner)
    // result and grad have the kept dims in input order, as the runs' outer index does.
    let res = try result.fp32RowMajor()
    let gr = try grad.fp32RowMajor()
    let moved = Tensor.empty(runs.order.map { shape[$0] }, dtype: .float32)
    let (src, r, gv, dst) = (runs.data.floats(), res.floats(), gr.floats(), moved.floats())
    parallelFor(outer, grain: Swift.max(1, (1 << 14) / Swift.max(inner, 1))) { range in
      for o in range {
        let base = o * inner
        let target = r[o]
        var ties = 0
        for i in 0..<inner where src[base + i] == target || (target.isNaN && src[base + i].isNaN) { ties += 1 }
        let share = gv[o] / Float(ties)
        for i in 0..<inner {
          let v = src[base + i]
          dst[base + i] = v == target || (target.isNaN && v.isNaN) ? share : 0
        }
      }
    }
    var inverse = [Int](repeating: 0, count: rank)
    for (i, d) in runs.order.enumerated() { inverse[d] = i }
    return try moved.permuted(inverse).convertedUntracked(to: dtype)
  }
}

/// The largest (or smallest) of a strided run; NaN wins, as in torch.amax.
@inline(__always)
func extremeValue(_ row: UnsafePointer<Float>, _ n: Int, _ stride: Int, largest: Bool) -> Float {
  var best = row[0]
  for i in 1..<Swift.max(n, 1) {
    let v = row[i * stride]
    if v.isNaN { return v }
    if largest ? v > best : v < best { best = v }
  }
  return best
}

/// Index of the first largest element of a strided run (the first NaN if any).
@inline(__always)
func argmaxIndex(_ row: UnsafePointer<Float>, _ n: Int, _ stride: Int) -> Int {
  var best = 0
  for i in 0..<n {
    let v = row[i * stride]
    if v.isNaN { return i }
    if v > row[best * stride] { best = i }
  }
  return best
}
