import AGFASEngine

/// nn.Conv2d: `weight` [out, in/groups, kh, kw], optional `bias` [out].
public struct Conv2d: Sendable {
  public let weight: Parameter
  public let bias: Parameter?
  public let stride: (Int, Int)
  public let padding: (Int, Int)
  public let dilation: (Int, Int)
  public let groups: Int

  public init(
    _ path: WeightPath, inChannels: Int, outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
    padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true
  ) {
    let fanIn = inChannels / groups * kernel.0 * kernel.1
    weight = path.defaultWeight("weight", [outChannels, inChannels / groups, kernel.0, kernel.1], fanIn: fanIn)
    self.bias = bias ? path.defaultBias("bias", outChannels, fanIn: fanIn) : nil
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
  }

  /// Square kernel, stride and padding, as most models declare them.
  public init(
    _ path: WeightPath, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
    groups: Int = 1, bias: Bool = true
  ) {
    self.init(
      path, inChannels: inChannels, outChannels: outChannels, kernel: (kernel, kernel), stride: (stride, stride),
      padding: (padding, padding), groups: groups, bias: bias)
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    try x.conv2d(
      weight: weight.value, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
  }
}
