import Foundation

/// A diffusers `AutoencoderKL` `config.json` (e.g. Stable Diffusion's `vae/config.json`), keys
/// as written there. Missing keys take diffusers 0.16.1's defaults for `AutoencoderKL`.
public struct AutoencoderKLConfig: Codable, Sendable, Equatable {
  public var inChannels = 3
  public var outChannels = 3
  public var downBlockTypes = ["DownEncoderBlock2D"]
  public var upBlockTypes = ["UpDecoderBlock2D"]
  public var blockOutChannels = [64]
  public var layersPerBlock = 1
  public var actFn = "silu"
  public var latentChannels = 4
  public var normNumGroups = 32
  /// The training resolution; diffusers only uses it for tiled decoding (first entry of a list).
  public var sampleSize = 32
  /// Latents enter the UNet multiplied by this (and are divided by it before decoding).
  public var scalingFactor = 0.18215

  enum CodingKeys: String, CodingKey {
    case className = "_class_name"
    case inChannels = "in_channels"
    case outChannels = "out_channels"
    case downBlockTypes = "down_block_types"
    case upBlockTypes = "up_block_types"
    case blockOutChannels = "block_out_channels"
    case layersPerBlock = "layers_per_block"
    case actFn = "act_fn"
    case latentChannels = "latent_channels"
    case normNumGroups = "norm_num_groups"
    case sampleSize = "sample_size"
    case scalingFactor = "scaling_factor"
  }

  public init() {}

  public init(from decoder: Swift.Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    if let name = try c.decodeIfPresent(String.self, forKey: .className), name != "AutoencoderKL" {
      throw VAEConfigError("_class_name", name, "expected AutoencoderKL")
    }
    func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
      if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
    }
    try read(.inChannels, &inChannels)
    try read(.outChannels, &outChannels)
    try read(.downBlockTypes, &downBlockTypes)
    try read(.upBlockTypes, &upBlockTypes)
    try read(.blockOutChannels, &blockOutChannels)
    try read(.layersPerBlock, &layersPerBlock)
    try read(.actFn, &actFn)
    try read(.latentChannels, &latentChannels)
    try read(.normNumGroups, &normNumGroups)
    try read(.scalingFactor, &scalingFactor)
    // diffusers accepts an int or a [height, width] list here.
    if let size = try? c.decodeIfPresent(Int.self, forKey: .sampleSize) {
      sampleSize = size
    } else if let sizes = try c.decodeIfPresent([Int].self, forKey: .sampleSize), let first = sizes.first {
      sampleSize = first
    }
  }

  public func encode(to encoder: Swift.Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode("AutoencoderKL", forKey: .className)
    try c.encode(inChannels, forKey: .inChannels)
    try c.encode(outChannels, forKey: .outChannels)
    try c.encode(downBlockTypes, forKey: .downBlockTypes)
    try c.encode(upBlockTypes, forKey: .upBlockTypes)
    try c.encode(blockOutChannels, forKey: .blockOutChannels)
    try c.encode(layersPerBlock, forKey: .layersPerBlock)
    try c.encode(actFn, forKey: .actFn)
    try c.encode(latentChannels, forKey: .latentChannels)
    try c.encode(normNumGroups, forKey: .normNumGroups)
    try c.encode(sampleSize, forKey: .sampleSize)
    try c.encode(scalingFactor, forKey: .scalingFactor)
  }

  /// Stable Diffusion 1.5's `vae/config.json`.
  public static let stableDiffusion15: AutoencoderKLConfig = {
    var c = AutoencoderKLConfig()
    c.blockOutChannels = [128, 256, 512, 512]
    c.downBlockTypes = Array(repeating: "DownEncoderBlock2D", count: 4)
    c.upBlockTypes = Array(repeating: "UpDecoderBlock2D", count: 4)
    c.layersPerBlock = 2
    c.sampleSize = 512
    return c
  }()

  /// Reads and validates a `config.json`.
  public static func load(_ path: String) throws -> AutoencoderKLConfig {
    let config: AutoencoderKLConfig = try readConfigFile(path, kind: "an AutoencoderKL") { reason, underlying in
      // A value the decoder itself rejects already says what is wrong with it.
      VAEConfigError(path: path, (underlying as? VAEConfigError)?.message ?? reason)
    }
    do {
      try config.validate()
    } catch let e as VAEConfigError {
      throw VAEConfigError(path: path, e.message)
    }
    return config
  }

  /// Throws for values this implementation does not support (or diffusers would not build).
  public func validate() throws {
    for (key, value) in [
      ("in_channels", inChannels), ("out_channels", outChannels), ("layers_per_block", layersPerBlock),
      ("latent_channels", latentChannels), ("norm_num_groups", normNumGroups),
    ] where value < 1 {
      throw VAEConfigError(key, "\(value)", "must be positive")
    }
    // Bounds before anything is built from them (docs/limits.md).
    for (key, value, max) in [
      ("in_channels", inChannels, ConfigLimits.maxChannels), ("out_channels", outChannels, ConfigLimits.maxChannels),
      ("latent_channels", latentChannels, ConfigLimits.maxChannels),
      ("layers_per_block", layersPerBlock, ConfigLimits.maxLayersPerBlock),
      ("norm_num_groups", normNumGroups, ConfigLimits.maxNormGroups),
      ("sample_size", sampleSize, ConfigLimits.maxSampleSize),
      ("block_out_channels", blockOutChannels.count, ConfigLimits.maxBlocks),
    ] + blockOutChannels.map { ("block_out_channels", $0, ConfigLimits.maxChannels) } {
      try ConfigLimits.check(value, max: max) { VAEConfigError(key, "\(value)", $0) }
    }
    let estimate = ConfigLimits.estimatedParameters(
      channels: blockOutChannels, layers: Array(repeating: layersPerBlock, count: blockOutChannels.count))
    guard estimate <= ConfigLimits.maxEstimatedParameters else {
      throw VAEConfigError(
        "block_out_channels", "\(blockOutChannels)",
        "with layers_per_block makes over \(estimate) parameters; at most \(ConfigLimits.maxEstimatedParameters) are accepted"
      )
    }
    guard !blockOutChannels.isEmpty, blockOutChannels.allSatisfy({ $0 > 0 && $0 % normNumGroups == 0 }) else {
      throw VAEConfigError(
        "block_out_channels", "\(blockOutChannels)",
        "needs at least one entry, each a positive multiple of norm_num_groups \(normNumGroups)")
    }
    // diffusers' get_activation maps both names to SiLU; the encoder/decoder output is SiLU anyway.
    guard actFn == "silu" || actFn == "swish" else {
      throw VAEConfigError("act_fn", actFn, "only silu (swish) is supported")
    }
    for (key, types, expected) in [
      ("down_block_types", downBlockTypes, "DownEncoderBlock2D"), ("up_block_types", upBlockTypes, "UpDecoderBlock2D"),
    ] {
      if let bad = types.first(where: { $0 != expected }) {
        throw VAEConfigError(key, bad, "only \(expected) is supported")
      }
      guard types.count == blockOutChannels.count else {
        throw VAEConfigError(
          key, "\(types)", "needs one entry per block_out_channels entry (\(blockOutChannels.count))")
      }
    }
    guard scalingFactor.isFinite, scalingFactor != 0 else {
      throw VAEConfigError("scaling_factor", "\(scalingFactor)", "must be finite and non-zero")
    }
  }
}

/// An `AutoencoderKL` config that cannot be read or that asks for something unsupported; the
/// message names the file or key and the offending value.
public struct VAEConfigError: Error, CustomStringConvertible, Equatable {
  public let message: String

  init(_ key: String, _ value: String, _ reason: String) {
    message = "\(key) = \(value): \(reason)"
  }

  init(path: String, _ message: String) {
    self.message = "\(path): \(message)"
  }

  public var description: String { "AutoencoderKL config: \(message)" }
}
