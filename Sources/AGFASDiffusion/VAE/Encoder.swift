import AGFASEngine
import AGFASNN

/// diffusers `DownEncoderBlock2D`: resnets (no time embedding), then an optional padded
/// stride-2 `Downsample2D` (the VAE's `padding=0` variant).
public struct DownEncoderBlock2D: Sendable {
  public let resnets: [ResnetBlock2D]
  public let downsampler: Downsample2D?

  public init(_ path: WeightPath, inChannels: Int, outChannels: Int, layers: Int, groups: Int, addDownsample: Bool) {
    resnets = (0..<layers).map {
      ResnetBlock2D(
        path.child("resnets").child($0), inChannels: $0 == 0 ? inChannels : outChannels, outChannels: outChannels,
        timeEmbeddingChannels: nil, groups: groups, eps: 1e-6)
    }
    downsampler =
      addDownsample ? Downsample2D(path.child("downsamplers").child(0), channels: outChannels, padding: 0) : nil
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    var h = x
    for resnet in resnets { h = try resnet(h) }
    return try downsampler.map { try $0(h) } ?? h
  }
}

/// diffusers' VAE `Encoder`: image [B,in,H,W] to the posterior's moments [B,2*latent,H/f,W/f]
/// (f = 2^(levels-1)), before `quant_conv`.
public struct VAEEncoder: Sendable {
  public let convIn: Conv2d
  public let downBlocks: [DownEncoderBlock2D]
  public let midBlock: UNetMidBlock2D
  public let convNormOut: GroupNorm
  public let convOut: Conv2d

  public init(_ path: WeightPath, config c: AutoencoderKLConfig) {
    let widths = c.blockOutChannels
    let groups = c.normNumGroups
    convIn = Conv2d(path.child("conv_in"), inChannels: c.inChannels, outChannels: widths[0], kernel: 3, padding: 1)
    downBlocks = widths.indices.map { i in
      DownEncoderBlock2D(
        path.child("down_blocks").child(i), inChannels: widths[max(i - 1, 0)], outChannels: widths[i],
        layers: c.layersPerBlock, groups: groups, addDownsample: i < widths.count - 1)
    }
    midBlock = UNetMidBlock2D(path.child("mid_block"), channels: widths[widths.count - 1], groups: groups)
    convNormOut = GroupNorm(path.child("conv_norm_out"), groups: groups, channels: widths[widths.count - 1], eps: 1e-6)
    convOut = Conv2d(
      path.child("conv_out"), inChannels: widths[widths.count - 1], outChannels: 2 * c.latentChannels, kernel: 3,
      padding: 1)
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    var h = try convIn(x.channelsLast())
    for block in downBlocks { h = try block(h) }
    h = try midBlock(h)
    return try convOut(convNormOut(h).silu())
  }
}
