/// Inverted dropout (F.dropout): in training, each element is kept with probability `1 - p`
/// and scaled by `1 / (1 - p)`, so the expected value is unchanged and inference is the identity.
extension Tensor {
  /// Dropout with a keep-mask drawn from `generator` (one uniform per element, kept when
  /// below `1 - p`). Not in training, or with `p == 0`, this is the identity; `p == 1` gives
  /// zeros. The mask stream is AGFAS's own: PyTorch's CPU bernoulli draws differ, so parity
  /// tests inject the reference's mask through `dropout(keepMask:p:)`.
  public func dropout(p: Float, training: Bool, generator: TorchGenerator) throws -> Tensor {
    try Tensor.checkDropout(p, shape: shape)
    guard training, p > 0 else { return self }
    let keep = 1 - p
    let mask = generator.uniform(count, low: 0, high: 1).map { $0 < keep ? Float(1) : 0 }
    return try dropout(keepMask: Tensor(mask, shape: shape), p: p)
  }

  /// Dropout with a given keep-mask of this tensor's shape (1 keep, 0 drop):
  /// `self * (keepMask / (1 - p))`, the mask scaled first (in this tensor's dtype) as PyTorch
  /// does. The gradient is the output gradient times the same scaled mask.
  public func dropout(keepMask: Tensor, p: Float) throws -> Tensor {
    try Tensor.checkDropout(p, shape: shape)
    guard keepMask.shape == shape else {
      throw TensorError.shapeMismatch(
        op: "dropout", shapes: [shape, keepMask.shape], reason: "the keep-mask must have the input's shape")
    }
    if p == 1 { return try self * Tensor.zeros(shape, dtype: dtype) }
    return try self * (keepMask.detached() / (1 - p)).converted(to: dtype)
  }

  private static func checkDropout(_ p: Float, shape: [Int]) throws {
    guard p >= 0, p <= 1 else {
      throw TensorError.invalidArgument(op: "dropout", reason: "p \(p) must be in [0, 1] (input \(shape))")
    }
  }
}
