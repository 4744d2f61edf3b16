import AGFASEngine

/// nn.GroupNorm with affine `weight`/`bias` [C] (ones/zeros initially).
public struct GroupNorm: Sendable {
  public let groups: Int
  public let eps: Float
  public let weight: Parameter
  public let bias: Parameter

  public init(_ path: WeightPath, groups: Int, channels: Int, eps: Float = 1e-5) {
    self.groups = groups
    self.eps = eps
    weight = path.parameter("weight", .ones([channels]))
    bias = path.parameter("bias", .zeros([channels]))
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    try x.groupNorm(groups: groups, weight: weight.value, bias: bias.value, eps: eps)
  }
}

/// nn.LayerNorm over the last dimension, with affine `weight`/`bias`.
public struct LayerNorm: Sendable {
  public let eps: Float
  public let weight: Parameter
  public let bias: Parameter

  public init(_ path: WeightPath, features: Int, eps: Float = 1e-5) {
    self.eps = eps
    weight = path.parameter("weight", .ones([features]))
    bias = path.parameter("bias", .zeros([features]))
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    try x.layerNorm(normalizedShape: [weight.shape[0]], weight: weight.value, bias: bias.value, eps: eps)
  }
}
