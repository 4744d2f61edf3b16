import Foundation

/// A diffusers `UNet2DConditionModel` `config.json` (diffusers 0.16.1), keys as written there.
///
/// Every property starts at that version's default, and only keys present in the file
/// replace it, as diffusers' `from_config` does. Keys this version does not know (an
/// `unet_ema` folder's EMA settings, `_class_name`, ...) are ignored, as diffusers ignores
/// them. `validate()` rejects values this implementation does not support, naming the key.
public struct UNetConfig: Codable, Sendable, Equatable {
  public var inChannels = 4
  public var outChannels = 4
  public var centerInputSample = false
  public var flipSinToCos = true
  public var freqShift: Float = 0
  public var downBlockTypes = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]
  /// nil: no mid block.
  public var midBlockType: String? = "UNetMidBlock2DCrossAttn"
  public var upBlockTypes = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
  public var onlyCrossAttention: PerBlock<Bool> = .all(false)
  public var blockOutChannels = [320, 640, 1280, 1280]
  public var layersPerBlock: PerBlock<Int> = .all(2)
  public var downsamplePadding = 1
  public var midBlockScaleFactor: Float = 1
  public var actFn = "silu"
  /// nil (no output norm) is not supported.
  public var normNumGroups: Int? = 32
  public var normEps: Float = 1e-5
  public var crossAttentionDim: PerBlock<Int> = .all(1280)
  /// In diffusers 0.16 this is the number of heads (each of `channels / heads` features),
  /// despite its name.
  public var attentionHeadDim: PerBlock<Int> = .all(8)
  public var useLinearProjection = false
  public var upcastAttention = false
  public var resnetTimeScaleShift = "default"
  public var timeEmbeddingType = "positional"
  public var timeEmbeddingDim: Int? = nil
  public var convInKernel = 3
  public var convOutKernel = 3
  // Options for other model families; `validate()` accepts only their defaults.
  public var dualCrossAttention = false
  public var encoderHidDim: Int? = nil
  public var classEmbedType: String? = nil
  public var additionEmbedType: String? = nil
  public var numClassEmbeds: Int? = nil
  public var timeEmbeddingActFn: String? = nil
  public var timestepPostAct: String? = nil
  public var timeCondProjDim: Int? = nil
  public var classEmbeddingsConcat = false
  /// Keys of later diffusers versions that change the architecture; 0.16.1 has neither.
  public var numAttentionHeads: PerBlock<Int>? = nil
  public var transformerLayersPerBlock: PerBlock<Int>? = nil

  enum CodingKeys: String, CodingKey, CaseIterable {
    case inChannels = "in_channels"
    case outChannels = "out_channels"
    case centerInputSample = "center_input_sample"
    case flipSinToCos = "flip_sin_to_cos"
    case freqShift = "freq_shift"
    case downBlockTypes = "down_block_types"
    case midBlockType = "mid_block_type"
    case upBlockTypes = "up_block_types"
    case onlyCrossAttention = "only_cross_attention"
    case blockOutChannels = "block_out_channels"
    case layersPerBlock = "layers_per_block"
    case downsamplePadding = "downsample_padding"
    case midBlockScaleFactor = "mid_block_scale_factor"
    case actFn = "act_fn"
    case normNumGroups = "norm_num_groups"
    case normEps = "norm_eps"
    case crossAttentionDim = "cross_attention_dim"
    case attentionHeadDim = "attention_head_dim"
    case useLinearProjection = "use_linear_projection"
    case upcastAttention = "upcast_attention"
    case resnetTimeScaleShift = "resnet_time_scale_shift"
    case timeEmbeddingType = "time_embedding_type"
    case timeEmbeddingDim = "time_embedding_dim"
    case convInKernel = "conv_in_kernel"
    case convOutKernel = "conv_out_kernel"
    case dualCrossAttention = "dual_cross_attention"
    case encoderHidDim = "encoder_hid_dim"
    case classEmbedType = "class_embed_type"
    case additionEmbedType = "addition_embed_type"
    case numClassEmbeds = "num_class_embeds"
    case timeEmbeddingActFn = "time_embedding_act_fn"
    case timestepPostAct = "timestep_post_act"
    case timeCondProjDim = "time_cond_proj_dim"
    case classEmbeddingsConcat = "class_embeddings_concat"
    case numAttentionHeads = "num_attention_heads"
    case transformerLayersPerBlock = "transformer_layers_per_block"
  }

  /// The defaults: Stable Diffusion's UNet except `cross_attention_dim` (1280 in diffusers;
  /// SD-1.5's file says 768).
  public init() {}

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    /// Replaces a default only when the file has the key (null included, for optionals).
    func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
      if c.contains(key) { value = try c.decode(T.self, forKey: key) }
    }
    try read(.inChannels, &inChannels)
    try read(.outChannels, &outChannels)
    try read(.centerInputSample, &centerInputSample)
    try read(.flipSinToCos, &flipSinToCos)
    try read(.freqShift, &freqShift)
    try read(.downBlockTypes, &downBlockTypes)
    try read(.midBlockType, &midBlockType)
    try read(.upBlockTypes, &upBlockTypes)
    try read(.onlyCrossAttention, &onlyCrossAttention)
    try read(.blockOutChannels, &blockOutChannels)
    try read(.layersPerBlock, &layersPerBlock)
    try read(.downsamplePadding, &downsamplePadding)
    try read(.midBlockScaleFactor, &midBlockScaleFactor)
    try read(.actFn, &actFn)
    try read(.normNumGroups, &normNumGroups)
    try read(.normEps, &normEps)
    try read(.crossAttentionDim, &crossAttentionDim)
    try read(.attentionHeadDim, &attentionHeadDim)
    try read(.useLinearProjection, &useLinearProjection)
    try read(.upcastAttention, &upcastAttention)
    try read(.resnetTimeScaleShift, &resnetTimeScaleShift)
    try read(.timeEmbeddingType, &timeEmbeddingType)
    try read(.timeEmbeddingDim, &timeEmbeddingDim)
    try read(.convInKernel, &convInKernel)
    try read(.convOutKernel, &convOutKernel)
    try read(.dualCrossAttention, &dualCrossAttention)
    try read(.encoderHidDim, &encoderHidDim)
    try read(.classEmbedType, &classEmbedType)
    try read(.additionEmbedType, &additionEmbedType)
    try read(.numClassEmbeds, &numClassEmbeds)
    try read(.timeEmbeddingActFn, &timeEmbeddingActFn)
    try read(.timestepPostAct, &timestepPostAct)
    try read(.timeCondProjDim, &timeCondProjDim)
    try read(.classEmbeddingsConcat, &classEmbeddingsConcat)
    try read(.numAttentionHeads, &numAttentionHeads)
    try read(.transformerLayersPerBlock, &transformerLayersPerBlock)
  }

  /// Reads and validates a `config.json`.
  public static func load(_ path: String) throws -> UNetConfig {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw UNetConfigError.unreadable(path: path, reason: error.localizedDescription)
    }
    let config: UNetConfig
    do {
      config = try JSONDecoder().decode(UNetConfig.self, from: data)
    } catch {
      throw UNetConfigError.unreadable(path: path, reason: "not a UNet config: \(error)")
    }
    try config.validate()
    return config
  }
}

/// A setting given once for all blocks or as one value per down block (diffusers accepts
/// both for `attention_head_dim`, `layers_per_block`, `cross_attention_dim`, ...).
public enum PerBlock<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
  case all(Value)
  case each([Value])

  public init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let list = try? c.decode([Value].self) {
      self = .each(list)
    } else {
      self = .all(try c.decode(Value.self))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .all(let v): try c.encode(v)
    case .each(let list): try c.encode(list)
    }
  }

  /// One value per block; a list must have exactly `count` entries.
  public func values(_ count: Int, key: String) throws -> [Value] {
    switch self {
    case .all(let v): return Array(repeating: v, count: count)
    case .each(let list):
      guard list.count == count else {
        throw UNetConfigError.invalid(key: key, reason: "has \(list.count) entries for \(count) down blocks")
      }
      return list
    }
  }
}

/// A UNet config that cannot be read or that this implementation does not support.
public enum UNetConfigError: Error, CustomStringConvertible, Equatable {
  case unreadable(path: String, reason: String)
  /// A value of the reference that this implementation does not implement.
  case unsupported(key: String, value: String, reason: String)
  /// A value that does not describe a buildable model.
  case invalid(key: String, reason: String)

  public var description: String {
    switch self {
    case .unreadable(let path, let reason): "UNet config \(path): \(reason)"
    case .unsupported(let key, let value, let reason): "UNet config: \(key) = \(value) is not supported: \(reason)"
    case .invalid(let key, let reason): "UNet config: \(key) \(reason)"
    }
  }
}
