import CDNNL

/// One oneDNN element-wise algorithm with its parameters, run forward or backward on tensors
/// of any layout and dtype.
///
/// Element-wise math does not care where an element sits, so a tensor is handed to oneDNN as
/// the flat 1-D buffer of its storage: one primitive serves row-major and channels-last alike
/// and the result keeps the input's layout. bf16 runs natively (fp32 math, one rounding).
struct DNNLEltwise {
  let op: String
  let alg: dnnl_alg_kind_t
  var alpha: Float = 0
  var beta: Float = 0
  /// True for the `*_use_dst_for_bwd` algorithms, whose backward reads the forward output
  /// (as PyTorch's sigmoid/tanh/exp/sqrt/relu backward do) instead of the input.
  var backwardUsesOutput = false

  /// The untracked result of the algorithm on every element of `x`.
  func forward(_ x: Tensor) throws -> Tensor {
    let out = Tensor.empty(x.shape, dtype: x.dtype, layout: x.layout)
    if x.count == 0 { return out }
    let md = try flatDesc(x)
    let prim = try forwardPrimitive(md, x)
    try prim.execute([(DNNL_ARG_SRC, md, x.storage.raw), (DNNL_ARG_DST, md, out.storage.raw)])
    return out
  }

  /// The gradient of the input given the output gradient `g` and the saved forward tensor
  /// (the output when `backwardUsesOutput`, else the input). Has `saved`'s layout and dtype.
  func backward(_ g: Tensor, saved: Tensor) throws -> Tensor {
    let dy = try g.untracked(layout: saved.layout, dtype: saved.dtype)
    let dx = Tensor.empty(saved.shape, dtype: saved.dtype, layout: saved.layout)
    if saved.count == 0 { return dx }
    let md = try flatDesc(saved)
    let key = "eltwise_bwd|\(alg.rawValue)|\(alpha)|\(beta)|\(saved.dtype)|\(saved.count)"
    let prim = try DNNLContext.shared.primitive(key) {
      let hint = try forwardPrimitive(md, saved)
      var desc = dnnl_eltwise_desc_t()
      var data = md.kernel.md
      var diff = md.kernel.md
      try dnnlCheck(
        dnnl_eltwise_backward_desc_init(&desc, alg, &diff, &data, alpha, beta), op, "eltwise_backward_desc_init")
      return try DNNLPrimitive(op: op, desc: &desc, hint: hint)
    }
    try prim.execute([
      (backwardUsesOutput ? DNNL_ARG_DST : DNNL_ARG_SRC, md, saved.storage.raw),
      (DNNL_ARG_DIFF_DST, md, dy.storage.raw),
      (DNNL_ARG_DIFF_SRC, md, dx.storage.raw),
    ])
    return dx
  }

  private func flatDesc(_ t: Tensor) throws -> DNNLMemoryDesc {
    try DNNLMemoryDesc([t.count], t.dtype, tag: dnnl_a)
  }

  private func forwardPrimitive(_ md: DNNLMemoryDesc, _ t: Tensor) throws -> DNNLPrimitive {
    let key = "eltwise_fwd|\(alg.rawValue)|\(alpha)|\(beta)|\(t.dtype)|\(t.count)"
    return try DNNLContext.shared.primitive(key) {
      var desc = dnnl_eltwise_desc_t()
      var data = md.kernel.md
      try dnnlCheck(
        dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_training, alg, &data, alpha, beta), op,
        "eltwise_forward_desc_init")
      return try DNNLPrimitive(op: op, desc: &desc)
    }
  }
}

extension Tensor {
  /// Runs `eltwise` forward and records its oneDNN backward: the whole of a one-input,
  /// parameter-free element-wise op.
  func applying(_ eltwise: DNNLEltwise) throws -> Tensor {
    let y = try eltwise.forward(self)
    // Save only the tensor the backward reads, without its history.
    let saved = eltwise.backwardUsesOutput ? y : detached()
    return y.recorded(eltwise.op, inputs: [self]) { g in [try eltwise.backward(g, saved: saved)] }
  }
}
