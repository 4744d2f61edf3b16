/// Gradient reversal (Ganin & Lempitsky's GRL, as SSDG's discriminator uses it): the identity
/// forward, the gradient multiplied by `-scale` backward, so the layers before it learn to
/// fool the classifier after it.
extension Tensor {
  /// This tensor unchanged; its gradient comes back as `-scale * grad`. `scale` is the
  /// schedule's coefficient (SSDG: `2 / (1 + exp(-10 p)) - 1`); 0 blocks the gradient.
  public func gradientReversed(scale: Float) throws -> Tensor {
    guard scale.isFinite else {
      throw TensorError.invalidArgument(op: "gradientReversed", reason: "scale \(scale) is not finite")
    }
    // The same storage: tensors are immutable, so sharing it is safe.
    return detached().recorded("gradientReversed", inputs: [self]) { g in [try g * (-scale)] }
  }
}
