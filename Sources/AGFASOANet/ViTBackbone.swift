import AGFASEngine
import AGFASNN

/// OA-Net's backbone: transformers' `ViTModel` (embeddings, encoder layers, final `layernorm`,
/// `pooler`) with cross-attention to the cue tokens in every layer. The feature is the final
/// LayerNorm's CLS token; the pooler is kept only so that checkpoints load with every key.
public struct ViTBackbone: Sendable {
  public let config: ViTConfig
  public let embeddings: ViTEmbeddings
  public let layers: [OAViTLayer]
  public let layernorm: LayerNorm
  /// `pooler.dense`: in the pretrained file and in OA-Net checkpoints, unused (docs/method.md §4).
  public let pooler: Linear

  public init(_ path: WeightPath, config: ViTConfig, cueTokenDim: Int) {
    self.config = config
    embeddings = ViTEmbeddings(path.child("embeddings"), config: config)
    let encoder = path.child("encoder").child("layer")
    layers = (0..<config.numHiddenLayers).map {
      OAViTLayer(encoder.child($0), config: config, cueTokenDim: cueTokenDim)
    }
    layernorm = LayerNorm(path.child("layernorm"), features: config.hiddenSize, eps: config.layerNormEps)
    pooler = Linear(path.child("pooler").child("dense"), inFeatures: config.hiddenSize, outFeatures: config.hiddenSize)
  }

  /// `pixels` [B,3,S,S] (S = image_size), `cue` tokens [B, N, cueTokenDim] -> CLS features [B, hidden].
  public func callAsFunction(_ pixels: Tensor, cue: Tensor) throws -> Tensor {
    var h = try embeddings(pixels)
    for layer in layers { h = try layer(h, cue: cue) }
    // LayerNorm is per token: normalising only the CLS token gives the same feature.
    let cls = try h.sliced(axis: 1, start: 0, end: 1).reshaped([pixels.shape[0], config.hiddenSize])
    return try layernorm(cls)
  }
}
