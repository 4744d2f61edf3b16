import CDNNL

/// Activation functions (PyTorch semantics), forward and backward.
///
/// The parameter-free ones run as oneDNN element-wise primitives, which are vectorised, run
/// bf16 natively and keep channels-last tensors channels-last. Where PyTorch's backward reads
/// the output (relu, tanh, sigmoid) the `use_dst_for_bwd` algorithms do the same, so bf16
/// gradients round like PyTorch's.
extension Tensor {
  /// max(x, 0). The gradient is zero where the output is zero (x <= 0), as in PyTorch.
  public func relu() throws -> Tensor {
    try applying(DNNLEltwise(op: "relu", alg: dnnl_eltwise_relu_use_dst_for_bwd, backwardUsesOutput: true))
  }

  /// x * sigmoid(x) (SiLU, a.k.a. swish), the UNet's activation.
  public func silu() throws -> Tensor {
    try applying(DNNLEltwise(op: "silu", alg: dnnl_eltwise_swish, alpha: 1))
  }

  /// x * Φ(x) with the exact erf form of the normal CDF (PyTorch's default `gelu`).
  public func gelu() throws -> Tensor {
    try applying(DNNLEltwise(op: "gelu", alg: dnnl_eltwise_gelu_erf))
  }

  /// Hyperbolic tangent.
  public func tanh() throws -> Tensor {
    try applying(DNNLEltwise(op: "tanh", alg: dnnl_eltwise_tanh_use_dst_for_bwd, backwardUsesOutput: true))
  }

  /// 1 / (1 + exp(-x)); saturates cleanly at 0 and 1 for large |x|.
  public func sigmoid() throws -> Tensor {
    try applying(DNNLEltwise(op: "sigmoid", alg: dnnl_eltwise_logistic_use_dst_for_bwd, backwardUsesOutput: true))
  }

  /// PReLU as `torch.nn.PReLU`: x where x > 0, else weight * x. `weight` (rank 0 or 1) holds
  /// one value shared by all channels or one per channel of dim 1. The output keeps this
  /// tensor's layout and dtype; both the input and the weight get gradients.
  public func prelu(weight: Tensor) throws -> Tensor {
    let channels = rank >= 2 ? shape[1] : 1
    guard weight.rank <= 1, weight.count == 1 || (rank > 0 && weight.count == channels) else {
      throw TensorError.shapeMismatch(
        op: "prelu", shapes: [shape, weight.shape],
        reason: "weight must be a scalar or 1-D with 1 or \(channels) elements (the channels of dim 1)")
    }
    let w = weight.toArray()
    let x = convertedUntracked(to: .float32)
    let out = Tensor.empty(shape, dtype: .float32, layout: layout)
    x.applyPReLU(w, into: out)
    let inputType = dtype
    return out.convertedUntracked(to: dtype).recorded("prelu", inputs: [self, weight]) { [weight] g in
      let gy = try g.untracked(layout: x.layout, dtype: .float32)
      let gx = Tensor.empty(x.shape, dtype: .float32, layout: x.layout)
      let terms = Tensor.empty(x.shape, dtype: .float32, layout: x.layout)
      let (xp, gp, dxp, tp) = (x.floats(), gy.floats(), gx.floats(), terms.floats())
      w.withUnsafeBufferPointer { wp in
        x.forEachChannelRun(channels: w.count) { start, n, c, step in
          for i in start..<(start + n) {
            let (v, gi) = (xp[i], gp[i])
            dxp[i] = v > 0 ? gi : wp[c + (i - start) * step] * gi
            tp[i] = v > 0 ? 0 : v * gi
          }
        }
      }
      // The weight's gradient: per-element terms summed over every dim but the channel one.
      var gw: Tensor? = nil
      if weight.requiresGrad {
        let axes = w.count == 1 ? Array(0..<x.rank) : (0..<x.rank).filter { $0 != 1 }
        gw = try terms.sum(axes: axes).reshaped(weight.shape).convertedUntracked(to: weight.dtype)
      }
      return [gx.convertedUntracked(to: inputType), gw]
    }
  }

  /// `prelu(weight:)` written over this tensor's own storage, with no second buffer: for
  /// inference on a layer's fresh output that nothing else references (MTCNN's PNet on a
  /// large photo holds one activation of about 60 bytes per pixel less). Refused where
  /// autograd records history or this tensor has some (the backward pass needs the input), and
  /// on bf16; the caller guarantees no other tensor shares the storage.
  public func preluInPlace(weight: Tensor) throws {
    guard !GradMode.enabled, !requiresGrad else {
      throw TensorError.invalidArgument(op: "preluInPlace", reason: "autograd needs the input: use prelu(weight:)")
    }
    guard dtype == .float32 else {
      throw TensorError.invalidArgument(op: "preluInPlace", reason: "needs an fp32 tensor, not \(dtype)")
    }
    let channels = rank >= 2 ? shape[1] : 1
    guard weight.rank <= 1, weight.count == 1 || (rank > 0 && weight.count == channels) else {
      throw TensorError.shapeMismatch(
        op: "preluInPlace", shapes: [shape, weight.shape],
        reason: "weight must be a scalar or 1-D with 1 or \(channels) elements (the channels of dim 1)")
    }
    applyPReLU(weight.toArray(), into: self)
    storage.invalidateDerived()
  }

  /// x where x > 0, else w[channel] * x, from this fp32 tensor into `out` (the same layout;
  /// may be this tensor itself).
  private func applyPReLU(_ w: [Float], into out: Tensor) {
    let (xp, yp) = (floats(), out.floats())
    w.withUnsafeBufferPointer { wp in
      forEachChannelRun(channels: w.count) { start, n, c, step in
        // One loop per step and the product computed before the select: branch-free and
        // vectorisable (the sign of activations is unpredictable).
        let (src, dst) = (xp.baseAddress! + start, yp.baseAddress! + start)
        if step == 0 {
          let slope = wp[c]
          for k in 0..<n {
            let (v, scaled) = (src[k], slope * src[k])
            dst[k] = v > 0 ? v : scaled
          }
        } else {
          let slopes = wp.baseAddress! + c
          for k in 0..<n {
            let (v, scaled) = (src[k], slopes[k] * src[k])
            dst[k] = v > 0 ? v : scaled
          }
        }
      }
    }
  }

  /// Walks the storage in runs whose elements share a weight pattern: calls
  /// `body(start, n, c, step)` where element `start + k` uses weight `c + k * step`.
  /// Row-major: a run is one channel's plane (step 0); channels-last and rank 2: a run is one
  /// row of all channels (step 1).
  private func forEachChannelRun(channels: Int, _ body: (Int, Int, Int, Int) -> Void) {
    if count == 0 { return }
    let run = channels == 1 ? count : storageStrides[1]
    if run == 1 {
      parallelFor(count / channels, grain: Swift.max(1, (1 << 14) / channels)) { rows in
        for row in rows { body(row * channels, channels, 0, 1) }
      }
    } else {
      parallelFor(count / run, grain: Swift.max(1, (1 << 14) / run)) { blocks in
        for block in blocks { body(block * run, run, block % channels, 0) }
      }
    }
  }
}
