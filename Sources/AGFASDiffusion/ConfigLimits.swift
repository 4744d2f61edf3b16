/// Upper bounds on every config value that sizes memory, checked before anything is allocated.
///
/// A config file is input like any other: `num_train_timesteps: 4e12` or `block_out_channels:
/// [1048576, 2097152]` would otherwise ask the allocator for terabytes and abort the process.
/// The bounds are generous multiples of what Stable Diffusion 1.5-class models use (SD-1.5:
/// 1000 timesteps, channels up to 1280, 2 layers per block, 8 heads, 4 blocks, latent 64,
/// 860M UNet parameters), so no real diffusers model of that family is refused.
/// docs/limits.md lists them.
public enum ConfigLimits {
  /// `num_train_timesteps` (and so the length of `trained_betas`).
  public static let maxTrainTimesteps = 100_000
  /// Any channel count or width: `block_out_channels`, `in/out/latent_channels`,
  /// `cross_attention_dim`, `time_embedding_dim`.
  public static let maxChannels = 8192
  /// Entries of `block_out_channels` (down/up blocks).
  public static let maxBlocks = 8
  /// `layers_per_block`.
  public static let maxLayersPerBlock = 16
  /// Attention heads (`attention_head_dim` in diffusers 0.16) and `norm_num_groups`.
  public static let maxAttentionHeads = 64
  public static let maxNormGroups = 1024
  /// `conv_in_kernel`, `conv_out_kernel`.
  public static let maxKernel = 15
  /// `sample_size` of a VAE or UNet config.
  public static let maxSampleSize = 1024
  /// A lower estimate of a model's weights (its 3x3 resnet convolutions alone); 4e9 fp32
  /// parameters are 16 GB, five times SD-1.5's UNet.
  public static let maxEstimatedParameters = 4_000_000_000

  /// Checks `value` is in `1...max`; the reason names the bound.
  static func check(_ value: Int, max: Int, _ fail: (String) -> Error) throws {
    guard value >= 1 else { throw fail("must be positive, got \(value)") }
    guard value <= max else { throw fail("is \(value); at most \(max) is accepted (see docs/limits.md)") }
  }

  /// 18 c^2 per resnet (two 3x3 convs) for 2 L + 1 resnets per block (down and up): a lower
  /// bound of the real count, computed so it cannot overflow (every factor is bounded first).
  static func estimatedParameters(channels: [Int], layers: [Int]) -> Int {
    zip(channels, layers).reduce(0) { $0 + (2 * $1.1 + 1) * 18 * $1.0 * $1.0 }
  }
}
