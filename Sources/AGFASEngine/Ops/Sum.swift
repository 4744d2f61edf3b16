/// Summation over axes: the reduction that broadcasting gradients need.
/// (Mean, variance, max and friends live in Reductions.swift.)
extension Tensor {
  /// Sum over `axes`, keeping them as size-1 dims when `keepDims`.
  public func sum(axes: [Int], keepDims: Bool = false) throws -> Tensor {
    let ax = Set(try axes.map { try Shape.axis($0, rank: rank, op: "sum") })
    let out =
      try leadingAxesSum(ax, keepDims: keepDims)
      ?? reduceRows(ax, keepDims: keepDims, op: "sum") { row, n, stride in
        // Double accumulation keeps long sums within fp32 rounding of PyTorch's pairwise sum.
        var acc: Double = 0
        for i in 0..<n { acc += Double(row[i * stride]) }
        return Float(acc)
      }
    return out.recorded("sum", inputs: [self]) { [shape] g in
      let kept = keepDims ? g : try g.reshaped(Tensor.keptShape(shape, ax))
      return [try kept.expanded(to: shape)]
    }
  }

  /// Sums over a leading block of axes (bias and broadcast gradients: [B, T, C] -> [C]) as
  /// column sums, where the general path would first transpose the whole tensor. Same
  /// Double accumulation in the same order, so the same result; nil for other axis sets.
  func leadingAxesSum(_ axes: Set<Int>, keepDims: Bool) throws -> Tensor? {
    guard !axes.isEmpty, axes.count < rank, axes == Set(0..<axes.count) else { return nil }
    let x = try fp32RowMajor()
    let rows = shape[..<axes.count].reduce(1, *)
    let columns = shape[axes.count...].reduce(1, *)
    let outShape = keepDims ? Tensor.keptShape(shape, axes) : Array(shape[axes.count...])
    let out = Tensor.empty(outShape, dtype: .float32)
    let src = UnsafePointer(x.floats().baseAddress!)
    let dst = out.floats()
    let block = 512
    let blocks = (columns + block - 1) / block
    withExtendedLifetime(x) {
      parallelFor(blocks, grain: Swift.max(1, (1 << 16) / Swift.max(rows * block, 1))) { range in
        var acc = [Double](repeating: 0, count: block)
        for b in range {
          let start = b * block
          let width = Swift.min(block, columns - start)
          acc.withUnsafeMutableBufferPointer { a in
            for j in 0..<width { a[j] = 0 }
            for r in 0..<rows {
              let row = src + r * columns + start
              for j in 0..<width { a[j] += Double(row[j]) }
            }
            for j in 0..<width { dst[start + j] = Float(a[j]) }
          }
        }
      }
    }
    return dtype == .float32 ? out : out.convertedUntracked(to: dtype)
  }

  /// Sum of all elements, as a rank-0 tensor.
  public func sum() throws -> Tensor { try sum(axes: Array(0..<rank)).reshaped([]) }

  /// `shape` with the reduced axes set to 1.
  static func keptShape(_ shape: [Int], _ axes: Set<Int>) -> [Int] {
    shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
  }

  /// This tensor broadcast (copied) to `target`.
  public func expanded(to target: [Int]) throws -> Tensor {
    guard Shape.broadcast(shape, target) == target else {
      throw TensorError.shapeMismatch(op: "expand", shapes: [shape, target], reason: "cannot broadcast")
    }
    if shape == target { return self }
    // One strided copy with stride 0 along broadcast dims (no zero fill and add).
    let out = Tensor.empty(target, dtype: dtype)
    copyElements(
      self, StridedView(offset: 0, strides: broadcastStrides(to: target)), into: out, StridedView(out), shape: target,
      order: Array(target.indices))
    return out.recorded("expand", inputs: [self]) { [shape] g in [try g.summed(toShape: shape)] }
  }

  /// Untracked reduction kernel: applies `reduce(rowStart, count, stride)` to each run of
  /// elements that collapses into one output element. The result has `outType` (default: this
  /// tensor's dtype).
  func reduceRows(
    _ axes: Set<Int>, keepDims: Bool, op: String, outType: DType? = nil,
    _ reduce: (UnsafePointer<Float>, Int, Int) -> Float
  ) throws -> Tensor {
    let runs = try reductionRuns(axes)
    let keptAxes = (0..<rank).filter { !axes.contains($0) }
    let outShape = keepDims ? Tensor.keptShape(shape, axes) : keptAxes.map { shape[$0] }
    let (outer, inner) = (runs.outer, runs.inner)
    let out = Tensor.empty(outShape, dtype: .float32)
    let src = UnsafePointer(runs.data.floats().baseAddress!)
    let dst = out.floats()
    parallelFor(outer, grain: Swift.max(1, (1 << 14) / Swift.max(inner, 1))) { r in
      for o in r { dst[o] = reduce(src + o * inner, inner, 1) }
    }
    let type = outType ?? dtype
    return type == .float32 ? out : out.convertedUntracked(to: type)
  }

  /// This tensor as fp32 row-major data whose dims are ordered (kept..., reduced...), so the
  /// `inner` elements that collapse into output element `o` sit contiguously at `o * inner`.
  /// Reduced axes are moved innermost only when they are not already. `order` is the
  /// permutation applied (input dim of each data dim).
  func reductionRuns(_ axes: Set<Int>) throws -> (data: Tensor, outer: Int, inner: Int, order: [Int]) {
    let x = try fp32RowMajor()
    let keptAxes = (0..<rank).filter { !axes.contains($0) }
    let redAxes = (0..<rank).filter { axes.contains($0) }
    let order = keptAxes + redAxes
    let moved = order == Array(0..<rank) ? x : try x.permuted(order)
    let inner = redAxes.reduce(1) { $0 * shape[$1] }
    return (moved, keptAxes.reduce(1) { $0 * shape[$1] }, inner, order)
  }
}
