/// Summation over axes: the reduction that broadcasting gradients need.
/// (Mean, variance, max and friends live in Reductions.swift.)
extension Tensor {
  /// Sum over `axes`, keeping them as size-1 dims when `keepDims`.
  public func sum(axes: [Int], keepDims: Bool = false) throws -> Tensor {
    let ax = Set(try axes.map { try Shape.axis($0, rank: rank, op: "sum") })
    let out = try reduceRows(ax, keepDims: keepDims, op: "sum") { row, n, stride in
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
    return try Tensor.zeros(target, dtype: dtype).adding(self.detached())
      .recorded("expand", inputs: [self]) { [shape] g in [try g.summed(toShape: shape)] }
  }

  /// Untracked reduction kernel: applies `reduce(rowStart, count, stride)` to each run of
  /// elements that collapses into one output element. Reduced axes are moved innermost first
  /// when they are not already, so every run is a strided line.
  func reduceRows(
    _ axes: Set<Int>, keepDims: Bool, op: String,
    _ reduce: (UnsafePointer<Float>, Int, Int) -> Float
  ) throws -> Tensor {
    let x = try fp32RowMajor()
    let keptAxes = (0..<rank).filter { !axes.contains($0) }
    let redAxes = (0..<rank).filter { axes.contains($0) }
    let outShape = keepDims ? Tensor.keptShape(shape, axes) : keptAxes.map { shape[$0] }
    let inner = redAxes.reduce(1) { $0 * shape[$1] }
    let outer = keptAxes.reduce(1) { $0 * shape[$1] }
    // Already (kept..., reduced...) in memory? Then each output is one contiguous run.
    let moved =
      redAxes.isEmpty || redAxes == Array((rank - redAxes.count)..<rank) ? x : try x.permuted(keptAxes + redAxes)
    let out = Tensor.empty(outShape, dtype: .float32)
    let src = UnsafePointer(moved.floats().baseAddress!)
    let dst = out.floats()
    parallelFor(outer, grain: max(1, (1 << 14) / max(inner, 1))) { r in
      for o in r { dst[o] = reduce(src + o * inner, inner, 1) }
    }
    return dtype == .float32 ? out : out.convertedUntracked(to: dtype)
  }
}
