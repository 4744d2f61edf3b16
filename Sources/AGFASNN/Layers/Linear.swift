import AGFASEngine

/// nn.Linear: `weight` [out, in], optional `bias` [out].
public struct Linear: Sendable {
  public let weight: Parameter
  public let bias: Parameter?

  public init(_ path: WeightPath, inFeatures: Int, outFeatures: Int, bias: Bool = true) {
    weight = path.defaultWeight("weight", [outFeatures, inFeatures], fanIn: inFeatures)
    self.bias = bias ? path.defaultBias("bias", outFeatures, fanIn: inFeatures) : nil
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    try x.linear(weight: weight.value, bias: bias?.value)
  }
}
