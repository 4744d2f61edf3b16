/// Pieces shared by the normalisation ops (layer, group, batch norm): parameter checks,
/// fp32 working copies, recording with optional affine parameters, and the group/batch norm
/// driver around `ChannelNormSets`.
extension Tensor {
  /// This tensor as untracked fp32 in its own layout: channels-last stays channels-last.
  func fp32Untracked() -> Tensor {
    dtype == .float32 ? detached() : convertedUntracked(to: .float32)
  }

  /// An output gradient as untracked fp32 in `layout` (gradients may arrive in any layout).
  func fp32Gradient(in layout: Layout) throws -> Tensor {
    try detached().relaidUntracked(layout).fp32Untracked()
  }

  /// The fp32 values of an optional affine parameter, checked to have `shape`.
  func normParameter(_ p: Tensor?, _ name: String, shape expected: [Int], op: String) throws -> [Float]? {
    guard let p else { return nil }
    guard p.shape == expected else {
      throw TensorError.shapeMismatch(
        op: op, shapes: [shape, p.shape], reason: "\(name) must have shape \(expected) for this input")
    }
    let values = try p.fp32RowMajor()
    return withExtendedLifetime(values) { Array(values.floats()) }
  }

  /// Attaches a normalisation's history: `backward` maps the output gradient to the gradients
  /// of (input, weight, bias), and only those of the parameters present are passed on.
  func recordedNorm(
    _ op: String, input: Tensor, weight: Tensor?, bias: Tensor?,
    backward: @escaping (Tensor) throws -> (Tensor?, Tensor?, Tensor?)
  ) -> Tensor {
    let inputs = [input] + [weight, bias].compactMap { $0 }
    let (hasWeight, hasBias) = (weight != nil, bias != nil)
    return recorded(op, inputs: inputs) { g in
      let (gx, gw, gb) = try backward(g)
      return [gx] + (hasWeight ? [gw] : []) + (hasBias ? [gb] : [])
    }
  }

  /// A per-parameter gradient as a tensor shaped and typed like the parameter.
  static func parameterGradient(_ values: [Float], like p: Tensor?) throws -> Tensor? {
    guard let p, p.requiresGrad else { return nil }
    return try Tensor(values, shape: p.shape, dtype: p.dtype)
  }

  /// Group or batch normalisation of this [N, C, *] tensor, recorded for autograd. Statistics
  /// come from the batch unless `fixed` (mean, rstd per channel) is given; the batch ones are
  /// returned for running-statistics updates. The output keeps the input's layout and type.
  func channelNormalized(
    _ op: String, groups: Int, perSample: Bool, weight: Tensor?, bias: Tensor?, eps: Float,
    fixed: (mean: [Double], rstd: [Double])? = nil
  ) throws -> (out: Tensor, mean: [Double], variance: [Double]) {
    let channels = [shape[1]]
    let w = try normParameter(weight, "weight", shape: channels, op: op)
    let b = try normParameter(bias, "bias", shape: channels, op: op)
    let tracked = GradMode.enabled && (requiresGrad || weight?.requiresGrad == true || bias?.requiresGrad == true)
    if dtype == .bfloat16, !tracked {
      // Inference in bf16 (the DFG): bf16 in and out, statistics as in fp32, no fp32 copies.
      let x = detached()
      let sets = ChannelNormSets(x, groups: groups, perSample: perSample)
      let out = Tensor.empty(shape, dtype: .bfloat16, layout: layout)
      let (mean, variance, _) = withExtendedLifetime(x) {
        sets.forward(
          UnsafePointer(x.bf16Bits().baseAddress!), into: out.bf16Bits().baseAddress!, fixed: fixed, eps: eps,
          weight: w, bias: b)
      }
      return (out, mean, variance)
    }
    let x = fp32Untracked()
    let sets = ChannelNormSets(x, groups: groups, perSample: perSample)
    let out = Tensor.empty(shape, dtype: .float32, layout: layout)
    // Raw pointers below do not keep their tensors alive: the converted copy must outlive them.
    let (mean, variance, rstd) = withExtendedLifetime(x) {
      sets.forward(
        UnsafePointer(x.floats().baseAddress!), into: out.floats().baseAddress!, fixed: fixed, eps: eps, weight: w,
        bias: b)
    }
    let input = self
    let result = out.convertedUntracked(to: dtype).recordedNorm(op, input: input, weight: weight, bias: bias) { g in
      // The fp32 copy is remade here rather than kept alive between forward and backward.
      let x = input.fp32Untracked()
      let gf = try g.fp32Gradient(in: x.layout)
      let gx = input.requiresGrad ? Tensor.empty(input.shape, dtype: .float32, layout: x.layout) : nil
      let (gw, gb) = withExtendedLifetime((x, gf)) {
        sets.backward(
          gf.floats().baseAddress!, x.floats().baseAddress!, mean: mean, rstd: rstd, weight: w,
          batchStatistics: fixed == nil, gradInput: gx?.floats().baseAddress)
      }
      return (
        gx?.convertedUntracked(to: input.dtype), try Tensor.parameterGradient(gw, like: weight),
        try Tensor.parameterGradient(gb, like: bias)
      )
    }
    return (result, mean, variance)
  }
}
