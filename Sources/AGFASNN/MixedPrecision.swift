import AGFASEngine

/// Mixed-precision compute over fp32 master weights (what `torch.autocast` with an fp32
/// model does): inside `run`, every parameter's `value` is a `computeType` copy of its fp32
/// master, recorded as a conversion, so a backward inside the scope brings fp32 gradients to
/// the masters; on leaving, the masters are back in `value`, gradients attached, for the
/// optimizer. Buffers (BatchNorm statistics) are left alone: they stay fp32, because a bf16
/// running variance would swallow momentum updates smaller than 1/256 of itself.
public struct MixedPrecision: Sendable {
  public let computeType: DType

  public init(computeType: DType) { self.computeType = computeType }

  /// Runs `body` (a forward and its backward, or an inference) with compute copies of
  /// `parameters`' trainable values. fp32 compute runs `body` on the masters directly.
  public func run<T>(_ parameters: [Parameter], _ body: () throws -> T) rethrows -> T {
    let trainable = parameters.filter(\.trainable)
    guard computeType != .float32 else { return try body() }
    for p in trainable {
      p.master = p.value
      p.value = p.value.converted(to: computeType)
    }
    defer {
      for p in trainable {
        if let master = p.master { p.value = master }
        p.master = nil
      }
    }
    return try body()
  }
}

extension Parameter {
  /// The value a training forward rewrites in place (SSDG's re-normalised classifier weight):
  /// the fp32 master inside `MixedPrecision.run`, else `value` itself.
  public var trainedValue: Tensor { master ?? value }

  /// Replaces the trained value by `newValue` (a fresh autograd leaf, say) and returns what
  /// the forward should compute with: in mixed precision the master becomes `newValue` and
  /// `value` its compute copy, recorded as a conversion so the gradient reaches the leaf.
  @discardableResult
  public func replaceTrainedValue(with newValue: Tensor) -> Tensor {
    if master != nil {
      master = newValue
      value = newValue.converted(to: value.dtype)
    } else {
      value = newValue
    }
    return value
  }
}
