import CDNNL

/// oneDNN 2-D pooling for one geometry and kind: forward and backward primitives (cached per
/// dtype and layout), the max-pool argmax workspace, and the divisor correction that makes
/// oneDNN's include-padding average equal PyTorch's on ceil-mode edges.
struct PoolKernel {
  enum Kind: String {
    case max
    case averageIncludingPadding
    case averageExcludingPadding
  }

  let kind: Kind
  let geometry: PoolGeometry

  private var op: String { kind == .max ? "maxPool2d" : "avgPool2d" }

  private var algorithm: dnnl_alg_kind_t {
    switch kind {
    case .max: dnnl_pooling_max
    case .averageIncludingPadding: dnnl_pooling_avg_include_padding
    case .averageExcludingPadding: dnnl_pooling_avg_exclude_padding
    }
  }

  /// Row and column divisor corrections, or nil when oneDNN's divisors are already PyTorch's.
  private var correction: (rows: [Float], columns: [Float])? {
    guard kind == .averageIncludingPadding else { return nil }
    let (rows, columns) = (geometry.includePadCorrection(0), geometry.includePadCorrection(1))
    return rows.allSatisfy({ $0 == 1 }) && columns.allSatisfy({ $0 == 1 }) ? nil : (rows, columns)
  }

  /// Pools `x` into a new tensor of its dtype and layout. With `training`, max pooling also
  /// returns the workspace (argmax positions) its backward pass needs.
  ///
  /// A bf16 average whose divisors need correcting runs in fp32 and rounds once, after the
  /// correction.
  func forward(_ input: Tensor, training: Bool) throws -> (Tensor, Workspace?) {
    if input.count == 0 {
      return (Tensor.empty(geometry.outputShape, dtype: input.dtype, layout: input.layout), nil)
    }
    let x = correction == nil ? input : input.convertedUntracked(to: .float32)
    let out = Tensor.empty(geometry.outputShape, dtype: x.dtype, layout: x.layout)
    let prim = try forwardPrimitive(x.dtype, x.layout, training: training)
    var args = [
      (DNNL_ARG_SRC, try DNNLMemoryDesc(of: x), x.storage.raw),
      (DNNL_ARG_DST, try DNNLMemoryDesc(of: out), out.storage.raw),
    ]
    var workspace: Workspace? = nil
    let wsDesc = prim.md(dnnl_query_workspace_md)
    if wsDesc.byteSize > 0 {
      let ws = Workspace(desc: wsDesc, storage: TensorStorage(byteCount: wsDesc.byteSize))
      args.append((DNNL_ARG_WORKSPACE, wsDesc, ws.storage.raw))
      workspace = ws
    }
    try prim.execute(args)
    if let correction { scaleEdges(out, correction) }
    return (out.convertedUntracked(to: input.dtype), workspace)
  }

  /// Where max pooling's forward pass recorded each window's maximum.
  struct Workspace {
    let desc: DNNLMemoryDesc
    let storage: TensorStorage
  }

  /// The input gradient for output gradient `g` (already in the input's dtype and layout).
  ///
  /// bf16 gradients run through the fp32 primitive and round once at the end, as PyTorch's
  /// rule asks: oneDNN's bf16 backward rounds after each overlapping window's contribution
  /// in some layouts.
  func backward(_ g: Tensor, workspace: Workspace?) throws -> Tensor {
    if g.count == 0 || Shape.count(geometry.inputShape) == 0 {
      return Tensor.zeros(geometry.inputShape, dtype: g.dtype)
    }
    var type = DType.float32
    var prim = try backwardPrimitive(type, g.layout)
    if let workspace, !prim.md(dnnl_query_workspace_md).equals(workspace.desc) {
      // The bf16 forward's argmax record does not fit the fp32 backward: stay in bf16.
      type = g.dtype
      prim = try backwardPrimitive(type, g.layout)
    }
    var gout = g.convertedUntracked(to: type)
    if let correction {
      // Scaled in place, so it must be a private copy (g's storage may be shared).
      if g.dtype == type { gout = gout.copiedUntracked() }
      scaleEdges(gout, correction)
    }
    let gx = Tensor.empty(geometry.inputShape, dtype: type, layout: g.layout)
    var args = [
      (DNNL_ARG_DIFF_DST, try DNNLMemoryDesc(of: gout), gout.storage.raw),
      (DNNL_ARG_DIFF_SRC, try DNNLMemoryDesc(of: gx), gx.storage.raw),
    ]
    if let workspace {
      args.append((DNNL_ARG_WORKSPACE, workspace.desc, workspace.storage.raw))
    } else if kind == .max {
      throw TensorError.autograd("\(op): backward without the forward pass's workspace")
    }
    try prim.execute(args)
    return gx.convertedUntracked(to: g.dtype)
  }

  private func forwardPrimitive(_ dtype: DType, _ layout: Layout, training: Bool) throws -> DNNLPrimitive {
    let prop = training || kind != .max ? dnnl_forward_training : dnnl_forward_inference
    let key = "pool.fwd|\(kind)|\(prop.rawValue)|\(dtype)|\(layout)|\(geometry.key)"
    return try DNNLContext.shared.primitive(key) {
      var src = try DNNLMemoryDesc(geometry.inputShape, dtype.kernelType, layout: layout).md
      var dst = try DNNLMemoryDesc(geometry.outputShape, dtype.kernelType, layout: layout).md
      var desc = dnnl_pooling_v2_desc_t()
      let (s, k, d, l, r) = windowArrays
      try dnnlCheck(
        dnnl_pooling_v2_forward_desc_init(&desc, prop, algorithm, &src, &dst, s, k, d, l, r), op,
        "pooling_v2_forward_desc_init")
      return try DNNLPrimitive(op: op, desc: &desc)
    }
  }

  private func backwardPrimitive(_ dtype: DType, _ layout: Layout) throws -> DNNLPrimitive {
    let key = "pool.bwd|\(kind)|\(dtype)|\(layout)|\(geometry.key)"
    return try DNNLContext.shared.primitive(key) {
      var diffSrc = try DNNLMemoryDesc(geometry.inputShape, dtype.kernelType, layout: layout).md
      var diffDst = try DNNLMemoryDesc(geometry.outputShape, dtype.kernelType, layout: layout).md
      var desc = dnnl_pooling_v2_desc_t()
      let (s, k, d, l, r) = windowArrays
      try dnnlCheck(
        dnnl_pooling_v2_backward_desc_init(&desc, algorithm, &diffSrc, &diffDst, s, k, d, l, r), op,
        "pooling_v2_backward_desc_init")
      let hint = try forwardPrimitive(dtype, layout, training: true)
      return try DNNLPrimitive(op: op, desc: &desc, hint: hint)
    }
  }

  /// Strides, kernel, dilation (0: none, oneDNN's convention), left and right padding.
  private var windowArrays: ([Int64], [Int64], [Int64], [Int64], [Int64]) {
    let g = geometry
    return (
      g.stride.map(Int64.init), g.kernel.map(Int64.init), [0, 0], g.padLeft.map(Int64.init),
      g.padRight.map(Int64.init)
    )
  }

  /// Multiplies, in place, each element of the fp32 tensor `t` at output row i and column j
  /// by rows[i] * columns[j] where that differs from 1 (only the ceil-mode edges).
  private func scaleEdges(_ t: Tensor, _ factors: (rows: [Float], columns: [Float])) {
    let st = t.storageStrides
    var spots: [(offset: Int, factor: Float)] = []
    for (i, fr) in factors.rows.enumerated() {
      for (j, fc) in factors.columns.enumerated() where fr * fc != 1 {
        spots.append((i * st[2] + j * st[3], fr * fc))
      }
    }
    let data = t.floats()
    let channels = geometry.channels
    parallelFor(geometry.batch * channels, grain: Swift.max(1, (1 << 12) / Swift.max(spots.count, 1))) { range in
      for plane in range {
        let base = (plane / channels) * st[0] + (plane % channels) * st[1]
        for spot in spots { data[base + spot.offset] *= spot.factor }
      }
    }
  }
}

extension Tensor {
  /// A copy with its own storage (same shape, dtype and layout), untracked.
  fileprivate func copiedUntracked() -> Tensor {
    let t = Tensor.empty(shape, dtype: dtype, layout: layout)
    t.storage.raw.copyMemory(from: storage.raw, byteCount: count * dtype.byteSize)
    return t
  }
}
