/// A transformers `ViTConfig` as its `config.json` spells it (`vit-base-patch16-224-in21k`).
/// Missing keys take transformers' defaults, which are ViT-B/16's; keys AGFAS does not use
/// (`initializer_range`, `encoder_stride`, ...) are ignored.
public struct ViTConfig: Codable, Sendable, Equatable {
  public var hiddenSize: Int
  public var numHiddenLayers: Int
  public var numAttentionHeads: Int
  public var intermediateSize: Int
  /// Only "gelu" (exact, erf-based) is supported.
  public var hiddenAct: String
  /// Must be 0: the reference trains without dropout in the ViT.
  public var hiddenDropoutProb: Float
  public var attentionProbsDropoutProb: Float
  public var layerNormEps: Float
  /// The square input side the position embeddings are learned for.
  public var imageSize: Int
  public var patchSize: Int
  public var numChannels: Int
  public var qkvBias: Bool

  enum CodingKeys: String, CodingKey {
    case hiddenSize = "hidden_size"
    case numHiddenLayers = "num_hidden_layers"
    case numAttentionHeads = "num_attention_heads"
    case intermediateSize = "intermediate_size"
    case hiddenAct = "hidden_act"
    case hiddenDropoutProb = "hidden_dropout_prob"
    case attentionProbsDropoutProb = "attention_probs_dropout_prob"
    case layerNormEps = "layer_norm_eps"
    case imageSize = "image_size"
    case patchSize = "patch_size"
    case numChannels = "num_channels"
    case qkvBias = "qkv_bias"
  }

  /// transformers' defaults: ViT-B/16 at 224.
  public init(
    hiddenSize: Int = 768, numHiddenLayers: Int = 12, numAttentionHeads: Int = 12, intermediateSize: Int = 3072,
    hiddenAct: String = "gelu", hiddenDropoutProb: Float = 0, attentionProbsDropoutProb: Float = 0,
    layerNormEps: Float = 1e-12, imageSize: Int = 224, patchSize: Int = 16, numChannels: Int = 3, qkvBias: Bool = true
  ) {
    self.hiddenSize = hiddenSize
    self.numHiddenLayers = numHiddenLayers
    self.numAttentionHeads = numAttentionHeads
    self.intermediateSize = intermediateSize
    self.hiddenAct = hiddenAct
    self.hiddenDropoutProb = hiddenDropoutProb
    self.attentionProbsDropoutProb = attentionProbsDropoutProb
    self.layerNormEps = layerNormEps
    self.imageSize = imageSize
    self.patchSize = patchSize
    self.numChannels = numChannels
    self.qkvBias = qkvBias
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let d = ViTConfig()
    self.init(
      hiddenSize: try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize,
      numHiddenLayers: try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers,
      numAttentionHeads: try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads,
      intermediateSize: try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize,
      hiddenAct: try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? d.hiddenAct,
      hiddenDropoutProb: try c.decodeIfPresent(Float.self, forKey: .hiddenDropoutProb) ?? d.hiddenDropoutProb,
      attentionProbsDropoutProb: try c.decodeIfPresent(Float.self, forKey: .attentionProbsDropoutProb)
        ?? d.attentionProbsDropoutProb,
      layerNormEps: try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? d.layerNormEps,
      imageSize: try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? d.imageSize,
      patchSize: try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? d.patchSize,
      numChannels: try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? d.numChannels,
      qkvBias: try c.decodeIfPresent(Bool.self, forKey: .qkvBias) ?? d.qkvBias)
  }

  /// Patches per side of the input.
  public var gridSize: Int { imageSize / patchSize }
  /// Tokens per image: the patches plus the CLS token.
  public var sequenceLength: Int { gridSize * gridSize + 1 }
  public var headDim: Int { hiddenSize / numAttentionHeads }

  /// Throws naming the first unsupported key and its value.
  public func validate() throws {
    func fail(_ key: String, _ value: Any, _ need: String) -> OANetError {
      .config("ViT \(key) \(value) is not supported: \(need)")
    }
    for (key, v) in [
      ("hidden_size", hiddenSize), ("num_hidden_layers", numHiddenLayers), ("num_attention_heads", numAttentionHeads),
      ("intermediate_size", intermediateSize), ("image_size", imageSize), ("patch_size", patchSize),
      ("num_channels", numChannels),
    ] where v <= 0 {
      throw fail(key, v, "need > 0")
    }
    guard hiddenSize % numAttentionHeads == 0 else {
      throw fail("num_attention_heads", numAttentionHeads, "must divide hidden_size \(hiddenSize)")
    }
    guard imageSize % patchSize == 0 else {
      throw fail("patch_size", patchSize, "must divide image_size \(imageSize)")
    }
    guard numChannels == 3 else { throw fail("num_channels", numChannels, "OA-Net's backbone sees RGB (3)") }
    guard hiddenAct == "gelu" else { throw fail("hidden_act", hiddenAct, "only \"gelu\" (exact)") }
    guard hiddenDropoutProb == 0 else { throw fail("hidden_dropout_prob", hiddenDropoutProb, "only 0") }
    guard attentionProbsDropoutProb == 0 else {
      throw fail("attention_probs_dropout_prob", attentionProbsDropoutProb, "only 0")
    }
    guard layerNormEps > 0, layerNormEps.isFinite else { throw fail("layer_norm_eps", layerNormEps, "need > 0") }
  }
}
