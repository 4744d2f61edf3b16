import CDNNL

/// Softmax and log-softmax over one axis, forward and backward, max-subtracted (stable for
/// huge logits). The output keeps the input's layout and dtype.
///
/// When the axis is innermost in storage (the last axis of row-major tensors, as in
/// attention; the channels of channels-last ones) oneDNN's vectorised softmax_v2 runs softmax
/// and both backward passes, reading bf16 natively. Everything else is a Swift loop: oneDNN
/// handles other axes with a slow reference kernel, and its approximate log puts log-softmax
/// several 1e-6 away from PyTorch.
///
/// bf16 follows PyTorch's kernels, which differ by axis: over the last axis softmax rounds
/// once and log-softmax rounds its log-sum-exp (twice) to bf16; over other axes softmax
/// rounds the exponentials and log-softmax rounds once. Backward rounds once.
extension Tensor {
  /// exp(x - max) / sum(exp(x - max)) along `axis` (negative counts from the end).
  public func softmax(axis: Int) throws -> Tensor {
    try softmax(axis: axis, log: false)
  }

  /// x - max - log(sum(exp(x - max))) along `axis`: the log of `softmax`, without its
  /// underflow to log(0).
  public func logSoftmax(axis: Int) throws -> Tensor {
    try softmax(axis: axis, log: true)
  }

  private func softmax(axis: Int, log: Bool) throws -> Tensor {
    let kernel = try SoftmaxKernel(self, axis: axis, log: log)
    let y = try kernel.forward(self)
    return y.recorded(kernel.op, inputs: [self]) { g in [try kernel.backward(g, output: y)] }
  }
}

/// Softmax over one tensor geometry. The storage is seen as a row-major [outer, n, inner]
/// block around the reduced axis, which fits every layout (the axis is located in storage
/// order) and any rank.
private struct SoftmaxKernel {
  let op: String
  let log: Bool
  let dims: [Int]
  let dtype: DType
  /// Whether the axis is the tensor's last: PyTorch's bf16 kernels round differently then.
  let lastAxis: Bool

  init(_ x: Tensor, axis: Int, log: Bool) throws {
    op = log ? "logSoftmax" : "softmax"
    self.log = log
    // A rank-0 tensor is its own single-element axis 0 (or -1), as in PyTorch.
    let a = x.rank == 0 && axis == -1 ? 0 : try Shape.axis(axis, rank: x.rank, op: op)
    let stored = x.storageOrder.map { x.shape[$0] }
    let p = x.storageOrder.firstIndex(of: a) ?? 0
    dims =
      x.rank == 0
      ? [1, 1, 1] : [Shape.count(Array(stored[..<p])), stored[p], Shape.count(Array(stored[(p + 1)...]))]
    dtype = x.dtype
    lastAxis = a == Swift.max(x.rank - 1, 0)
  }

  /// Whether oneDNN's fast kernel applies: the reduced axis is contiguous in memory.
  private var innermost: Bool { dims[2] == 1 }
  /// Whether PyTorch rounds only the result here (its bf16 kernels round intermediates too
  /// for softmax off the last axis and log-softmax on it).
  private var roundsOnce: Bool { dtype == .float32 || (log ? !lastAxis : lastAxis) }

  func forward(_ x: Tensor) throws -> Tensor {
    if x.count == 0 { return Tensor.empty(x.shape, dtype: x.dtype, layout: x.layout) }
    if innermost && !log && roundsOnce {
      // oneDNN's bf16 output rounds the exponentials before scaling them: write fp32 and
      // round once instead, as PyTorch does.
      let y = Tensor.empty(x.shape, dtype: .float32, layout: x.layout)
      try forwardPrimitive(output: .float32).execute([
        (DNNL_ARG_SRC, try desc(), x.storage.raw), (DNNL_ARG_DST, try desc(.float32), y.storage.raw),
      ])
      return y.convertedUntracked(to: x.dtype)
    }
    let src = x.convertedUntracked(to: .float32)
    let y = Tensor.empty(x.shape, dtype: .float32, layout: x.layout)
    SoftmaxLoops.forward(
      src.floats().baseAddress!, y.floats().baseAddress!, dims: dims, log: log, roundBF16: !roundsOnce)
    return y.convertedUntracked(to: x.dtype)
  }

  /// The input gradient from the output gradient `g` and the forward output `y`.
  func backward(_ g: Tensor, output y: Tensor) throws -> Tensor {
    if y.count == 0 { return Tensor.empty(y.shape, dtype: y.dtype, layout: y.layout) }
    // Where oneDNN has only its reference backward (AVX2), the Swift loop below runs instead.
    if innermost, case let prim = try backwardPrimitive(), !prim.isReference {
      let dy = try g.untracked(layout: y.layout, dtype: y.dtype)
      let dx = Tensor.empty(y.shape, dtype: y.dtype, layout: y.layout)
      try prim.execute([
        (DNNL_ARG_DST, try desc(), y.storage.raw), (DNNL_ARG_DIFF_DST, try desc(), dy.storage.raw),
        (DNNL_ARG_DIFF_SRC, try desc(), dx.storage.raw),
      ])
      return dx
    }
    let (yf, gf) = (y.convertedUntracked(to: .float32), try g.untracked(layout: y.layout, dtype: .float32))
    let dx = Tensor.empty(y.shape, dtype: .float32, layout: y.layout)
    SoftmaxLoops.backward(
      yf.floats().baseAddress!, gf.floats().baseAddress!, dx.floats().baseAddress!, dims: dims, log: log)
    return dx.convertedUntracked(to: y.dtype)
  }

  // MARK: oneDNN

  private func desc(_ type: DType? = nil) throws -> DNNLMemoryDesc {
    try DNNLMemoryDesc(dims, type ?? dtype, strides: Shape.strides(dims))
  }

  /// The forward primitive from this dtype to `output` (shared with attention's row softmax).
  private func forwardPrimitive(output: DType) throws -> DNNLPrimitive {
    try softmaxForwardPrimitive(desc(), desc(output), log: log, op: op)
  }

  private func backwardPrimitive() throws -> DNNLPrimitive {
    try softmaxBackwardPrimitive(desc(), desc(), desc(), log: log, op: op)
  }
}
