/// Loops over n-dimensional index spaces with per-operand element strides: the engine's
/// generic path for permutes, slices (ElementCopy.swift) and broadcasting (Binary.swift).
///
/// Dimensions are coalesced first (adjacent dims that are contiguous for every operand merge),
/// so common cases become one long inner loop.

/// Merges adjacent dimensions that are contiguous in every stride set; drops size-1 dims.
func coalesce(_ shape: [Int], _ strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
  var outShape: [Int] = []
  var outStrides: [[Int]] = Array(repeating: [], count: strides.count)
  for d in 0..<shape.count where shape[d] != 1 {
    if let last = outShape.last,
      strides.indices.allSatisfy({ strides[$0][d] * shape[d] == outStrides[$0].last! })
    {
      outShape[outShape.count - 1] = last * shape[d]
      for k in strides.indices { outStrides[k][outStrides[k].count - 1] = strides[k][d] }
    } else {
      outShape.append(shape[d])
      for k in strides.indices { outStrides[k].append(strides[k][d]) }
    }
  }
  if outShape.isEmpty {
    outShape = [1]
    for k in strides.indices { outStrides[k] = [1] }
  }
  return (outShape, outStrides)
}

/// Calls `body(rowOffsets, innerCount, innerStrides)` once per innermost row of `shape`,
/// rows split across threads. `rowOffsets[k]` is operand k's element offset of the row start.
func forEachRow(
  _ shape: [Int], _ strides: [[Int]], grain: Int = 1 << 14,
  _ body: (_ offsets: [Int], _ n: Int, _ inner: [Int]) -> Void
) {
  let (shape, strides) = coalesce(shape, strides)
  let rank = shape.count
  let n = shape[rank - 1]
  let inner = strides.map { $0[rank - 1] }
  let rows = shape.dropLast().reduce(1, *)
  let outerShape = Array(shape.dropLast())
  parallelFor(rows, grain: max(1, grain / max(n, 1))) { range in
    // Decompose the first row index, then step an odometer.
    var idx = [Int](repeating: 0, count: rank - 1)
    var rem = range.lowerBound
    for d in stride(from: rank - 2, through: 0, by: -1) {
      idx[d] = rem % outerShape[d]
      rem /= outerShape[d]
    }
    var offsets = strides.map { s in zip(idx, s).reduce(0) { $0 + $1.0 * $1.1 } }
    for _ in range {
      body(offsets, n, inner)
      var d = rank - 2
      while d >= 0 {
        idx[d] += 1
        for k in offsets.indices { offsets[k] += strides[k][d] }
        if idx[d] < outerShape[d] { break }
        for k in offsets.indices { offsets[k] -= strides[k][d] * outerShape[d] }
        idx[d] = 0
        d -= 1
      }
    }
  }
}

extension Tensor {
  /// Element strides of each logical dimension, as stored.
  public var storageStrides: [Int] {
    switch layout {
    case .rowMajor: return Shape.strides(shape)
    case .channelsLast:
      let (c, h, w) = (shape[1], shape[2], shape[3])
      return [h * w * c, 1, w * c, c]
    }
  }

  /// Logical dimensions in the order they are stored (outermost first).
  var storageOrder: [Int] {
    layout == .channelsLast ? [0, 2, 3, 1] : Array(0..<rank)
  }
}
