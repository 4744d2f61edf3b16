/// Layout and element-type conversions. Both are differentiable: the gradient goes back
/// converted to the input's layout and type.
extension Tensor {
  /// This tensor stored row-major (a no-op when it already is).
  public func contiguous() throws -> Tensor { try relaid(.rowMajor) }

  /// This rank-4 tensor stored channels-last, the layout oneDNN convolutions prefer.
  public func channelsLast() throws -> Tensor { try relaid(.channelsLast) }

  /// This tensor in `layout`.
  public func relaid(_ layout: Layout) throws -> Tensor {
    if layout == self.layout { return self }
    let inputLayout = self.layout
    return try relaidUntracked(layout).recorded("relayout", inputs: [self]) { g in
      [try g.relaid(inputLayout)]
    }
  }

  func relaidUntracked(_ layout: Layout) throws -> Tensor {
    if layout == self.layout { return detached() }
    guard rank == 4 else {
      throw TensorError.rank(op: "relayout to \(layout)", shape: shape, expected: "rank 4")
    }
    let out = Tensor.empty(shape, dtype: dtype, layout: layout)
    try dnnlReorder(
      from: DNNLMemoryDesc(of: self), storage.raw, to: DNNLMemoryDesc(of: out), out.storage.raw,
      op: "relayout")
    return out
  }

  /// This tensor with elements of `dtype` (bf16 rounding: nearest even).
  public func converted(to dtype: DType) -> Tensor {
    if dtype == self.dtype { return self }
    let inputType = self.dtype
    return convertedUntracked(to: dtype).recorded("convert", inputs: [self]) { g in
      [g.converted(to: inputType)]
    }
  }

  func convertedUntracked(to dtype: DType) -> Tensor {
    if dtype == self.dtype { return detached() }
    let out = Tensor.empty(shape, dtype: dtype, layout: layout)
    switch (self.dtype, dtype) {
    case (.float32, .bfloat16):
      narrowToBF16(storage.raw, into: out.storage.raw, count: count)
    case (.bfloat16, .float32):
      widenBF16(storage.raw, into: out.storage.raw, count: count)
    default:
      break
    }
    return out
  }
}
