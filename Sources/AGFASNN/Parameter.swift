import AGFASEngine

/// A named, replaceable tensor slot in a model: a trainable weight or a buffer (running
/// statistics). Layers read `value` in their forward; loading and optimizers write it.
public final class Parameter: @unchecked Sendable {
  /// The state-dict key, e.g. `down_blocks.0.resnets.1.conv1.weight`.
  public let path: String
  /// The shape every value must have (checked on load).
  public let shape: [Int]
  /// False for buffers such as BatchNorm's running statistics.
  public let trainable: Bool
  public var value: Tensor
  /// The fp32 master while `MixedPrecision.run` computes with a lower-precision copy in
  /// `value`; nil otherwise.
  public internal(set) var master: Tensor?

  init(path: String, value: Tensor, trainable: Bool) {
    self.path = path
    self.shape = value.shape
    self.trainable = trainable
    self.value = value
  }
}
