import AGFASEngine
import AGFASNN

/// diffusers 0.16.1 `AutoencoderKL` (Stable Diffusion's VAE): `encode` maps an image in
/// [-1, 1] to the latent posterior, `decode` maps a latent back to an image.
///
/// Parameter paths equal diffusers' state-dict keys (`encoder.…`, `quant_conv.…`,
/// `post_quant_conv.…`, `decoder.…`). Activations stay channels-last inside; outputs are
/// channels-last.
public struct AutoencoderKL: Sendable {
  public let config: AutoencoderKLConfig
  public let encoder: VAEEncoder
  public let quantConv: Conv2d
  public let postQuantConv: Conv2d
  public let decoder: VAEDecoder
  /// Where the parameters live (shared with whatever else was built in the same store).
  public let path: WeightPath

  /// Builds the model under `path` (the store's root for a `vae/` checkpoint); throws for
  /// unsupported configs.
  public init(_ config: AutoencoderKLConfig, _ path: WeightPath) throws {
    try config.validate()
    self.config = config
    self.path = path
    let latent = config.latentChannels
    encoder = VAEEncoder(path.child("encoder"), config: config)
    decoder = VAEDecoder(path.child("decoder"), config: config)
    quantConv = Conv2d(path.child("quant_conv"), inChannels: 2 * latent, outChannels: 2 * latent, kernel: 1)
    postQuantConv = Conv2d(path.child("post_quant_conv"), inChannels: latent, outChannels: latent, kernel: 1)
  }

  /// The posterior of `x` [B, in_channels, H, W].
  public func encode(_ x: Tensor) throws -> DiagonalGaussian {
    try check(x, channels: config.inChannels, "encode")
    return try DiagonalGaussian(moments: quantConv(encoder(x)))
  }

  /// The image of latent `z` [B, latent_channels, h, w] (unscaled: divide a UNet latent by
  /// `config.scalingFactor` first).
  public func decode(_ z: Tensor) throws -> Tensor {
    try check(z, channels: config.latentChannels, "decode")
    return try decoder(postQuantConv(z))
  }

  private func check(_ x: Tensor, channels: Int, _ op: String) throws {
    guard x.rank == 4, x.shape[1] == channels else {
      throw TensorError.shapeMismatch(
        op: "AutoencoderKL.\(op)", shapes: [x.shape], reason: "expects [B, \(channels), H, W]")
    }
  }

  /// Loads a VAE state dict in either attention spelling (see
  /// `VAEAttention.renamingAttentionKeys`) into this model's store, strictly: the store must
  /// hold only this model, and every key must fit.
  public func load(_ stateDict: [String: Tensor]) throws {
    try path.store.load(VAEAttention.renamingAttentionKeys(stateDict))
  }
}
