/// OA-Net's sizes: the ViT backbone's transformers config plus the parts docs/method.md §4 and §5 fix.
/// JSON keys as a `config.json` would spell them; missing keys take the reference's values.
public struct OANetConfig: Codable, Sendable, Equatable {
  /// The backbone (`vit-base-patch16-224-in21k`'s config.json).
  public var vit: ViTConfig
  /// ResNet-18's stem width: stages of 1x, 2x, 4x, 8x it (64 in the reference: cue tokens of
  /// 512). Smaller only in tests.
  public var cueWidth: Int
  /// The embedder's output width (512).
  public var embeddingDim: Int
  /// Source domains the discriminator tells apart (3 in leave-one-out).
  public var numDomains: Int
  /// The discriminator's hidden width (512).
  public var discriminatorHidden: Int

  enum CodingKeys: String, CodingKey {
    case vit
    case cueWidth = "cue_width"
    case embeddingDim = "embedding_dim"
    case numDomains = "num_domains"
    case discriminatorHidden = "discriminator_hidden"
  }

  public init(
    vit: ViTConfig = ViTConfig(), cueWidth: Int = 64, embeddingDim: Int = 512, numDomains: Int = 3,
    discriminatorHidden: Int = 512
  ) {
    self.vit = vit
    self.cueWidth = cueWidth
    self.embeddingDim = embeddingDim
    self.numDomains = numDomains
    self.discriminatorHidden = discriminatorHidden
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let d = OANetConfig()
    self.init(
      vit: try c.decodeIfPresent(ViTConfig.self, forKey: .vit) ?? d.vit,
      cueWidth: try c.decodeIfPresent(Int.self, forKey: .cueWidth) ?? d.cueWidth,
      embeddingDim: try c.decodeIfPresent(Int.self, forKey: .embeddingDim) ?? d.embeddingDim,
      numDomains: try c.decodeIfPresent(Int.self, forKey: .numDomains) ?? d.numDomains,
      discriminatorHidden: try c.decodeIfPresent(Int.self, forKey: .discriminatorHidden) ?? d.discriminatorHidden)
  }

  /// docs/method.md §4: ViT-B/16 at 224, ResNet-18, 512-wide embeddings, three source domains.
  public static let reference = OANetConfig()

  /// Width of the cue tokens (ResNet-18's layer4 channels: 512).
  public var cueTokenDim: Int { cueWidth * 8 }

  /// Throws naming the first unsupported key and its value.
  public func validate() throws {
    try vit.validate()
    for (key, v) in [
      ("cue_width", cueWidth), ("embedding_dim", embeddingDim), ("num_domains", numDomains),
      ("discriminator_hidden", discriminatorHidden),
    ] where v <= 0 {
      throw OANetError.config("\(key) \(v) is not supported: need > 0")
    }
  }

  /// The config an OA-Net state dict was saved with, read off its keys and shapes. Heads and
  /// LayerNorm eps leave no trace in the weights: `heads` nil means one per 64 channels (every
  /// released ViT); eps is transformers' 1e-12. Prefixes are `OANetKeys`'.
  public static func inferred(fromShapes shapes: [String: [Int]], heads: Int? = nil) throws -> OANetConfig {
    func shape(_ key: String, rank: Int) throws -> [Int] {
      guard let s = shapes[key], s.count == rank else {
        throw OANetError.checkpoint("no \(key) of rank \(rank): not an OA-Net state dict")
      }
      return s
    }
    let b = OANetKeys.backbone
    let hidden = try shape("\(b).embeddings.cls_token", rank: 3)[2]
    let patch = try shape("\(b).embeddings.patch_embeddings.projection.weight", rank: 4)[2]
    let positions = try shape("\(b).embeddings.position_embeddings", rank: 3)[1]
    let grid = Int(Double(positions - 1).squareRoot().rounded())
    guard grid * grid == positions - 1 else {
      throw OANetError.checkpoint("\(positions) position embeddings are not a square grid plus the CLS token")
    }
    let layerPrefix = "\(b).encoder.layer."
    let layers =
      (shapes.keys.compactMap { key -> Int? in
        guard key.hasPrefix(layerPrefix) else { return nil }
        return Int(key.dropFirst(layerPrefix.count).prefix { $0 != "." })
      }.max() ?? -1) + 1
    let mlp = try shape("\(layerPrefix)0.intermediate.dense.weight", rank: 2)[0]
    guard let heads = heads ?? (hidden % 64 == 0 ? hidden / 64 : nil) else {
      throw OANetError.config("hidden size \(hidden) is not a multiple of 64: give the number of heads")
    }
    let vit = ViTConfig(
      hiddenSize: hidden, numHiddenLayers: layers, numAttentionHeads: heads, intermediateSize: mlp,
      imageSize: grid * patch, patchSize: patch,
      qkvBias: shapes["\(layerPrefix)0.attention.attention.query.bias"] != nil)
    let config = OANetConfig(
      vit: vit, cueWidth: try shape("\(OANetKeys.cueEncoder).conv1.weight", rank: 4)[0],
      embeddingDim: try shape("\(OANetKeys.embedder).weight", rank: 2)[0])
    try config.validate()
    return config
  }
}

/// Unsupported OA-Net configurations, checkpoints and inputs.
public enum OANetError: Error, CustomStringConvertible, Equatable {
  case config(String)
  case checkpoint(String)
  case input(String)

  public var description: String {
    switch self {
    case .config(let m): "OA-Net config: \(m)"
    case .checkpoint(let m): "OA-Net checkpoint: \(m)"
    case .input(let m): "OA-Net input: \(m)"
    }
  }
}
