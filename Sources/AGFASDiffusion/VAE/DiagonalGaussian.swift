import AGFASEngine

/// diffusers `DiagonalGaussianDistribution`: the VAE posterior N(mean, exp(logvar)) per latent
/// element, from the encoder's moments [B, 2*C, h, w] (mean first, then logvar).
public struct DiagonalGaussian: Sendable {
  public let mean: Tensor
  /// Clamped to [-30, 20] as diffusers does, so `std` neither vanishes nor overflows.
  public let logvar: Tensor
  public let std: Tensor

  public init(moments: Tensor) throws {
    guard moments.rank >= 2, moments.shape[1] % 2 == 0 else {
      throw TensorError.shapeMismatch(
        op: "DiagonalGaussian", shapes: [moments.shape], reason: "moments need an even channel dim (mean, logvar)")
    }
    let halves = try moments.chunked(2, axis: 1)
    mean = halves[0]
    logvar = try halves[1].clamped(min: -30, max: 20)
    std = try (logvar * 0.5).exp()
  }

  /// exp(logvar).
  public var variance: Tensor { get throws { try logvar.exp() } }

  /// mean + std * noise, with `noise` standard normal of the mean's shape supplied by the
  /// caller (e.g. `TorchGenerator(seed:).randn(mean.shape)` to draw what PyTorch draws).
  /// `noise` is cast to the mean's dtype first, as diffusers draws it in that dtype.
  public func sample(noise: Tensor) throws -> Tensor {
    guard noise.shape == mean.shape else {
      throw TensorError.shapeMismatch(
        op: "DiagonalGaussian.sample", shapes: [mean.shape, noise.shape], reason: "noise must have the mean's shape")
    }
    return try mean + std * noise.converted(to: mean.dtype)
  }

  /// The distribution's mode: its mean.
  public func mode() -> Tensor { mean }
}
