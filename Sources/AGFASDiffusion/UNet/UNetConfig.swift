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

  /// The defaults: Stable Diffusion's UNet except `cross_attention_dim` (1280 in diffusers;
  /// SD-1.5's file says 768).
  public init() {}

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: Field.Key.self)
    for field in Self.fields { try field.decode(&self, c) }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: Field.Key.self)
    for field in Self.fields { try field.encode(self, &c) }
  }

  /// Every key of the file with the property it sets: a key the file has (null included,
  /// for optionals) replaces the default; absent keys keep it.
  private static var fields: [Field] {
    [
      Field("in_channels", \.inChannels),
      Field("out_channels", \.outChannels),
      Field("center_input_sample", \.centerInputSample),
      Field("flip_sin_to_cos", \.flipSinToCos),
      Field("freq_shift", \.freqShift),
      Field("down_block_types", \.downBlockTypes),
      Field("mid_block_type", \.midBlockType),
      Field("up_block_types", \.upBlockTypes),
      Field("only_cross_attention", \.onlyCrossAttention),
      Field("block_out_channels", \.blockOutChannels),
      Field("layers_per_block", \.layersPerBlock),
      Field("downsample_padding", \.downsamplePadding),
      Field("mid_block_scale_factor", \.midBlockScaleFactor),
      Field("act_fn", \.actFn),
      Field("norm_num_groups", \.normNumGroups),
      Field("norm_eps", \.normEps),
      Field("cross_attention_dim", \.crossAttentionDim),
      Field("attention_head_dim", \.attentionHeadDim),
      Field("use_linear_projection", \.useLinearProjection),
      Field("upcast_attention", \.upcastAttention),
      Field("resnet_time_scale_shift", \.resnetTimeScaleShift),
      Field("time_embedding_type", \.timeEmbeddingType),
      Field("time_embedding_dim", \.timeEmbeddingDim),
      Field("conv_in_kernel", \.convInKernel),
      Field("conv_out_kernel", \.convOutKernel),
      Field("dual_cross_attention", \.dualCrossAttention),
      Field("encoder_hid_dim", \.encoderHidDim),
      Field("class_embed_type", \.classEmbedType),
      Field("addition_embed_type", \.additionEmbedType),
      Field("num_class_embeds", \.numClassEmbeds),
      Field("time_embedding_act_fn", \.timeEmbeddingActFn),
      Field("timestep_post_act", \.timestepPostAct),
      Field("time_cond_proj_dim", \.timeCondProjDim),
      Field("class_embeddings_concat", \.classEmbeddingsConcat),
      Field("num_attention_heads", \.numAttentionHeads),
      Field("transformer_layers_per_block", \.transformerLayersPerBlock),
    ]
  }

  private struct Field {
    let decode: (inout UNetConfig, KeyedDecodingContainer<Key>) throws -> Void
    let encode: (UNetConfig, inout KeyedEncodingContainer<Key>) throws -> Void

    init<T: Codable>(_ name: String, _ property: WritableKeyPath<UNetConfig, T>) {
      let key = Key(stringValue: name)
      decode = { config, c in
        if c.contains(key) { config[keyPath: property] = try c.decode(T.self, forKey: key) }
      }
      // Optionals encode nil as null, so a saved config reads back the same.
      encode = { config, c in try c.encode(config[keyPath: property], forKey: key) }
    }

    struct Key: CodingKey {
      let stringValue: String
      init(stringValue: String) { self.stringValue = stringValue }
      var intValue: Int? { nil }
      init?(intValue: Int) { nil }
    }
  }

  /// Reads and validates a `config.json`.
  public static func load(_ path: String) throws -> UNetConfig {
    let config: UNetConfig = try readConfigFile(path, kind: "a UNet") { reason, _ in
      UNetConfigError.unreadable(path: path, reason: reason)
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
