import AGFASEngine
import AGFASNN

/// diffusers `UpDecoderBlock2D`: resnets (no time embedding, no skip inputs), then an
/// optional nearest-2x `Upsample2D`.
public struct UpDecoderBlock2D: Sendable {
  public let resnets: [ResnetBlock2D]
  public let upsampler: Upsample2D?

  public init(_ path: WeightPath, inChannels: Int, outChannels: Int, layers: Int, groups: Int, addUpsample: Bool) {
    resnets = (0..<layers).map {
      ResnetBlock2D(
        path.child("resnets").child($0), inChannels: $0 == 0 ? inChannels : outChannels, outChannels: outChannels,
        timeEmbeddingChannels: nil, groups: groups, eps: 1e-6)
    }
    upsampler = addUpsample ? Upsample2D(path.child("upsamplers").child(0), channels: outChannels) : nil
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    var h = x
    for resnet in resnets { h = try resnet(h) }
    return try upsampler.map { try $0(h) } ?? h
  }
}

/// diffusers' VAE `Decoder`: latent [B,latent,h,w] (after `post_quant_conv`) to an image
/// [B,out,h*f,w*f], f = 2^(levels-1). Each level has layers_per_block + 1 resnets.
public struct VAEDecoder: Sendable {
  public let convIn: Conv2d
  public let midBlock: UNetMidBlock2D
  public let upBlocks: [UpDecoderBlock2D]
  public let convNormOut: GroupNorm
  public let convOut: Conv2d

  public init(_ path: WeightPath, config c: AutoencoderKLConfig) {
    let widths = Array(c.blockOutChannels.reversed())
    let groups = c.normNumGroups
    convIn = Conv2d(path.child("conv_in"), inChannels: c.latentChannels, outChannels: widths[0], kernel: 3, padding: 1)
    midBlock = UNetMidBlock2D(path.child("mid_block"), channels: widths[0], groups: groups)
    upBlocks = widths.indices.map { i in
      UpDecoderBlock2D(
        path.child("up_blocks").child(i), inChannels: widths[max(i - 1, 0)], outChannels: widths[i],
        layers: c.layersPerBlock + 1, groups: groups, addUpsample: i < widths.count - 1)
    }
    let last = widths[widths.count - 1]
    convNormOut = GroupNorm(path.child("conv_norm_out"), groups: groups, channels: last, eps: 1e-6)
    convOut = Conv2d(path.child("conv_out"), inChannels: last, outChannels: c.outChannels, kernel: 3, padding: 1)
  }

  public func callAsFunction(_ z: Tensor) throws -> Tensor {
    var h = try midBlock(convIn(z.channelsLast()))
    for block in upBlocks { h = try block(h) }
    return try convOut(convNormOut(h).silu())
  }
}
