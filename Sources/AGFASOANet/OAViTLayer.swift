import AGFASEngine
import AGFASNN

/// One OA-Net backbone layer (docs/method.md §4): transformers' `ViTLayer` with a cross-attention to the
/// cue tokens between its self-attention and its MLP, each pre-normed and residual:
///
///     h += SelfAttn(layernorm_before(h))
///     h += CrossAttn(ln_cross_attn(h), cue tokens)
///     h += MLP(layernorm_after(h))             (dense -> exact GELU -> dense)
///
/// The self-attention and MLP keep transformers' names; the cross-attention's are the
/// reference's (`OANetKeys`). It starts as the reference's `ViTCrossModel` leaves it: ViT's
/// own initialisation (weights N(0, 0.02), biases 0; LayerNorm 1 and 0), then a zero output
/// weight, so an untrained cross-attention adds nothing. Its LayerNorm uses the config's eps.
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
    let crossPath = path.child(OANetKeys.crossAttentionProjections)
    for (name, linear) in [
      (OANetKeys.crossAttentionQuery, crossAttention.query), (OANetKeys.crossAttentionKey, crossAttention.key),
      (OANetKeys.crossAttentionValue, crossAttention.value),
    ] {
      linear.weight.value = crossPath.child(name).normal("weight", linear.weight.shape, std: 0.02)  // ViT's initializer_range
      if let bias = linear.bias { bias.value = .zeros(bias.shape) }
    }
    crossAttention.output.weight.value = .zeros(crossAttention.output.weight.shape)
    if let bias = crossAttention.output.bias { bias.value = .zeros(bias.shape) }
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
