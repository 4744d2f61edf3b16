/// Layer normalisation (torch.nn.functional.layer_norm), the transformer normalisation.
extension Tensor {
  /// Normalises over the trailing dims `normalizedShape` (each leading index on its own),
  /// then applies the element-wise `weight` and `bias` (shape `normalizedShape` each).
  /// Mean and variance are two-pass with Double totals, so ViT's eps 1e-12 is safe.
  /// Accepts any layout and returns row-major, in the input's dtype.
  public func layerNorm(normalizedShape: [Int], weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) throws -> Tensor {
    let op = "layerNorm"
    guard !normalizedShape.isEmpty, normalizedShape.count <= rank,
      Array(shape.suffix(normalizedShape.count)) == normalizedShape
    else {
      throw TensorError.shapeMismatch(
        op: op, shapes: [shape, normalizedShape], reason: "normalizedShape must be the trailing dims of the input")
    }
    let w = try normParameter(weight, "weight", shape: normalizedShape, op: op)
    let b = try normParameter(bias, "bias", shape: normalizedShape, op: op)
    let width = Shape.count(normalizedShape)
    let kernel = LayerNormRows(rows: Shape.count(Array(shape.dropLast(normalizedShape.count))), width: width)
    let weights = w ?? [Float](repeating: 1, count: width)
    let x = try fp32RowMajor()
    let out = Tensor.empty(shape, dtype: .float32)
    // Raw pointers do not keep their tensors alive: a converted copy must outlive the kernel.
    let (mean, rstd) = withExtendedLifetime(x) {
      kernel.forward(
        x.floats().baseAddress!, into: out.floats().baseAddress!, weight: weights,
        bias: b ?? [Float](repeating: 0, count: width), eps: eps)
    }
    let input = self
    return out.convertedUntracked(to: dtype).recordedNorm(op, input: input, weight: weight, bias: bias) { g in
      // The fp32 copy is remade here rather than kept alive between forward and backward.
      let x = try input.fp32RowMajor()
      let gf = try g.fp32RowMajor()
      let gx = input.requiresGrad ? Tensor.empty(input.shape, dtype: .float32) : nil
      let (gw, gb) = withExtendedLifetime((x, gf)) {
        kernel.backward(
          gf.floats().baseAddress!, x.floats().baseAddress!, mean: mean, rstd: rstd, weight: weights,
          gradInput: gx?.floats().baseAddress)
      }
      return (
        gx?.convertedUntracked(to: input.dtype), try Tensor.parameterGradient(gw, like: weight),
        try Tensor.parameterGradient(gb, like: bias)
      )
    }
  }
}
