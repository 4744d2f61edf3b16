import AGFASEngine
import AGFASNN

/// One OA-Net backbone layer (SPEC 4): transformers' `ViTLayer` with a cross-attention to the
/// cue tokens between its self-attention and its MLP, each pre-normed and residual:
///
///     h += SelfAttn(layernorm_before(h))
///     h += CrossAttn(layernorm_cross(h), cue tokens)
///     h += MLP(layernorm_after(h))             (dense -> exact GELU -> dense)
///
/// The self-attention and MLP keep transformers' names; the cross-attention's names are
/// `OANetKeys`'. Its output Linear starts with a zero weight (SPEC 4), so an untrained
/// cross-attention adds only its output bias. The bias keeps nn.Linear's default
/// initialisation: SPEC 4 zeroes the weight only. Its LayerNorm uses the config's eps, like
/// the layer's two others. Query/key/value keep nn.Linear's default initialisation.
public struct OAViTLayer: Sendable {
  public let layernormBefore: LayerNorm
  public let attention: MultiHeadAttention
  public let layernormCross: LayerNorm
  public let crossAttention: MultiHeadAttention
  public let layernormAfter: LayerNorm
  public let intermediate: Linear
  public let output: Linear

  public init(_ path: WeightPath, config: ViTConfig, cueTokenDim: Int) {
    let (h, eps) = (config.hiddenSize, config.layerNormEps)
    let names = (query: "query", key: "key", value: "value")
    layernormBefore = LayerNorm(path.child("layernorm_before"), features: h, eps: eps)
    attention = MultiHeadAttention(
      projections: path.child("attention").child("attention"),
      outputPath: path.child("attention").child("output").child("dense"), names: names, dim: h, contextDim: h,
      heads: config.numAttentionHeads, bias: config.qkvBias)
    layernormCross = LayerNorm(path.child(OANetKeys.crossAttentionNorm), features: h, eps: eps)
    crossAttention = MultiHeadAttention(
      projections: path.child(OANetKeys.crossAttentionProjections),
      outputPath: path.child(OANetKeys.crossAttentionOutput),
      names: (OANetKeys.crossAttentionQuery, OANetKeys.crossAttentionKey, OANetKeys.crossAttentionValue),
      dim: h, contextDim: cueTokenDim, heads: config.numAttentionHeads)
    crossAttention.output.weight.value = .zeros(crossAttention.output.weight.shape)
    layernormAfter = LayerNorm(path.child("layernorm_after"), features: h, eps: eps)
    intermediate = Linear(
      path.child("intermediate").child("dense"), inFeatures: h, outFeatures: config.intermediateSize)
    output = Linear(path.child("output").child("dense"), inFeatures: config.intermediateSize, outFeatures: h)
  }

  /// `h` [B, L, hidden], `cue` [B, S, cueTokenDim] -> [B, L, hidden].
  public func callAsFunction(_ h: Tensor, cue: Tensor) throws -> Tensor {
    let normed = try layernormBefore(h)
    var h = try attention(normed, context: normed) + h
    h = try crossAttention(layernormCross(h), context: cue) + h
    return try output(intermediate(layernormAfter(h)).gelu()) + h
  }
}
