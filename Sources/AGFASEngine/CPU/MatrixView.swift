import CDNNL

/// A stack of matrices as a strided view over raw storage: what oneDNN's matmul reads and
/// writes. A transpose is a swap of the two matrix strides and a broadcast batch dim has
/// stride 0, so neither costs a copy.
struct MatrixView {
  var batch: [Int]
  var batchStrides: [Int]
  var rows: Int
  var cols: Int
  var rowStride: Int
  var colStride: Int
  let dtype: DType
  var base: UnsafeMutableRawPointer

  /// The matrices in the last two dims of a row-major tensor of rank >= 2.
  init(_ t: Tensor, transposed: Bool = false) {
    precondition(t.layout == .rowMajor && t.rank >= 2, "MatrixView needs a row-major matrix stack, got \(t.shape)")
    let strides = Shape.strides(t.shape)
    batch = Array(t.shape.dropLast(2))
    batchStrides = Array(strides.dropLast(2))
    let (r, c) = (t.shape[t.rank - 2], t.shape[t.rank - 1])
    (rows, cols) = transposed ? (c, r) : (r, c)
    (rowStride, colStride) = transposed ? (1, c) : (c, 1)
    dtype = t.dtype
    base = t.storage.raw
  }

  /// A dense row-major stack over `base` (scratch buffers).
  init(contiguous batch: [Int], rows: Int, cols: Int, dtype: DType, base: UnsafeMutableRawPointer) {
    let strides = Shape.strides(batch + [rows, cols])
    self.batch = batch
    self.batchStrides = Array(strides.dropLast(2))
    self.rows = rows
    self.cols = cols
    self.rowStride = cols
    self.colStride = 1
    self.dtype = dtype
    self.base = base
  }

  /// The same matrices transposed (strides swapped, no copy).
  var transposed: MatrixView {
    var v = self
    swap(&v.rows, &v.cols)
    swap(&v.rowStride, &v.colStride)
    return v
  }

  /// This stack broadcast to the batch shape `target` (which `batch` must broadcast to).
  func broadcast(to target: [Int]) -> MatrixView {
    var v = self
    let pad = target.count - batch.count
    v.batch = target
    v.batchStrides = target.indices.map { d in
      d < pad || (batch[d - pad] == 1 && target[d] != 1) ? 0 : batchStrides[d - pad]
    }
    return v
  }

  /// Matrices `range` of the outermost batch dim (a broadcast dim stays broadcast).
  func slice(_ range: Range<Int>) -> MatrixView {
    var v = self
    v.batch[0] = range.count
    v.base = base + range.lowerBound * batchStrides[0] * dtype.byteSize
    return v
  }

  /// Number of matrices.
  var batchCount: Int { Shape.count(batch) }

  /// Views over one common batch shape with their batch dims merged wherever every view
  /// allows it, so a [B, H] batch of contiguous stacks becomes one dim of B*H.
  static func coalesced(_ views: [MatrixView]) -> [MatrixView] {
    let (shape, strides) = coalesce(views[0].batch, views.map(\.batchStrides))
    let single = shape == [1]
    return views.indices.map { i in
      var v = views[i]
      v.batch = single ? [] : shape
      v.batchStrides = single ? [] : strides[i]
      return v
    }
  }

  /// oneDNN descriptor: dims [batch..., rows, cols] with broadcast batch dims as size 1.
  func desc() throws -> DNNLMemoryDesc {
    let dims = batch.indices.map { batchStrides[$0] == 0 ? 1 : batch[$0] } + [rows, cols]
    var strides = batchStrides + [rowStride, colStride]
    // A size-1 dim's stride is never used; give it the dense value oneDNN's checks expect.
    var extent = max(rows * rowStride, cols * colStride)
    for d in stride(from: batch.count - 1, through: 0, by: -1) {
      if dims[d] == 1 { strides[d] = extent }
      extent = max(extent, dims[d] * strides[d])
    }
    return try DNNLMemoryDesc(dims, dtype, strides: strides)
  }
}

/// A batch of matrix stacks walked in chunks along its outermost (merged) batch dim, so that
/// per-chunk scratch (attention scores) stays within a budget and in cache.
struct BatchChunks {
  /// The views, coalesced over their common batch shape.
  let views: [MatrixView]
  /// Batch indices per chunk along the outermost dim, and matrices per such index.
  let chunk: Int
  let inner: Int
  private let outer: Int

  /// Chunks of `views` (all broadcast to one batch shape) whose scratch of `perMatrix`
  /// elements per matrix stays under about `budget` elements (at least one index per chunk).
  init(_ views: [MatrixView], perMatrix: Int, budget: Int) {
    self.views = MatrixView.coalesced(views)
    outer = self.views[0].batch.first ?? 1
    inner = self.views[0].batchCount / max(outer, 1)
    chunk = self.views[0].batch.isEmpty ? 1 : max(1, min(outer, budget / max(inner * perMatrix, 1)))
  }

  /// Most matrices in one chunk: the scratch size, in matrices.
  var maxMatrices: Int { chunk * inner }

  /// Calls `body(parts, firstMatrix)` per chunk; `parts` are the views' slices, `firstMatrix`
  /// the index of the chunk's first matrix in the whole batch.
  func forEach(_ body: (_ parts: [MatrixView], _ firstMatrix: Int) throws -> Void) rethrows {
    for lo in stride(from: 0, to: outer, by: chunk) {
      let range = lo..<min(outer, lo + chunk)
      try body(views.map { $0.batch.isEmpty ? $0 : $0.slice(range) }, lo * inner)
    }
  }
}
