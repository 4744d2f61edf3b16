import AGFASEngine

/// nn.Linear: `weight` [out, in], optional `bias` [out], and a slot for a low-rank adapter
/// (LoRA) that fine-tuning attaches and inference merges.
public struct Linear: Sendable {
  public let weight: Parameter
  public let bias: Parameter?
  /// Empty unless an adapter is attached (`LoRA.attach`); shared by copies of this layer.
  public let adapter: AdapterSlot

  public init(_ path: WeightPath, inFeatures: Int, outFeatures: Int, bias: Bool = true) {
    weight = path.defaultWeight("weight", [outFeatures, inFeatures], fanIn: inFeatures)
    self.bias = bias ? path.defaultBias("bias", outFeatures, fanIn: inFeatures) : nil
    adapter = AdapterSlot(inFeatures: inFeatures, outFeatures: outFeatures)
    path.store.registerLinear(adapter, at: path.prefix)
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    let y = try x.linear(weight: weight.value, bias: bias?.value)
    guard let lora = adapter.current else { return y }
    return try y + lora(x)
  }
}
