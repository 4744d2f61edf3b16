import AGFASEngine
import AGFASNN

/// diffusers `Downsample2D` with a convolution (name "op": key `conv`): conv3x3 stride 2.
/// With `padding == 0` (the VAE encoder) the input is first padded by one on the right and
/// bottom only, as diffusers does, so odd sizes round the same way.
public struct Downsample2D: Sendable {
  public let conv: Conv2d
  public let padding: Int

  public init(_ path: WeightPath, channels: Int, outChannels: Int? = nil, padding: Int = 1) {
    conv = Conv2d(
      path.child("conv"), inChannels: channels, outChannels: outChannels ?? channels, kernel: 3, stride: 2,
      padding: padding)
    self.padding = padding
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    let input = padding == 0 ? try x.padded([(0, 0), (0, 0), (0, 1), (0, 1)]) : x
    return try conv(input)
  }
}

/// diffusers `Upsample2D` with a convolution: nearest 2x, then conv3x3.
public struct Upsample2D: Sendable {
  public let conv: Conv2d

  public init(_ path: WeightPath, channels: Int, outChannels: Int? = nil) {
    conv = Conv2d(path.child("conv"), inChannels: channels, outChannels: outChannels ?? channels, kernel: 3, padding: 1)
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    // diffusers upsamples bf16 activations in fp32 and rounds back; nearest copies values,
    // so doing it in bf16 directly gives the same bits.
    try conv(x.upsampledNearest(scale: 2))
  }
}
