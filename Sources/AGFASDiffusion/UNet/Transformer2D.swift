import AGFASEngine
import AGFASNN

/// diffusers `Transformer2DModel` for continuous image input, as the SD UNet builds it:
/// GroupNorm (eps 1e-6) -> `proj_in` -> one `BasicTransformerBlock` per layer over the H*W
/// tokens -> `proj_out`, plus the input (residual). The projections are 1x1 convolutions, or
/// linear layers on the tokens with `use_linear_projection`.
///
/// The image stays channels-last: tokens [B, H*W, C] share its storage (`imageTokens`), so
/// entering and leaving token space copies nothing.
public struct Transformer2DModel: Sendable {
  public let norm: GroupNorm
  public let projIn: Projection
  public let transformerBlocks: [BasicTransformerBlock]
  public let projOut: Projection

  /// `proj_in`/`proj_out`: a 1x1 convolution on the image or a linear layer on the tokens.
  public enum Projection: Sendable {
    case conv(Conv2d)
    case linear(Linear)

    init(_ path: WeightPath, _ inFeatures: Int, _ outFeatures: Int, linear: Bool) {
      self =
        linear
        ? .linear(Linear(path, inFeatures: inFeatures, outFeatures: outFeatures))
        : .conv(Conv2d(path, inChannels: inFeatures, outChannels: outFeatures, kernel: 1))
    }
  }

  /// `heads` heads of `dimHead` features; `layers` transformer blocks (1 in the SD UNet).
  public init(
    _ path: WeightPath, channels: Int, heads: Int, dimHead: Int, crossAttentionDim: Int, groups: Int,
    useLinearProjection: Bool, onlyCrossAttention: Bool = false, layers: Int = 1
  ) {
    let inner = heads * dimHead
    norm = GroupNorm(path.child("norm"), groups: groups, channels: channels, eps: 1e-6)
    projIn = Projection(path.child("proj_in"), channels, inner, linear: useLinearProjection)
    transformerBlocks = (0..<layers).map {
      BasicTransformerBlock(
        path.child("transformer_blocks").child($0), dim: inner, heads: heads, dimHead: dimHead,
        crossAttentionDim: crossAttentionDim, onlyCrossAttention: onlyCrossAttention)
    }
    projOut = Projection(path.child("proj_out"), inner, channels, linear: useLinearProjection)
  }

  /// `x` [B, C, H, W] (best channels-last); `context` [B, S, crossAttentionDim].
  public func callAsFunction(_ x: Tensor, context: Tensor) throws -> Tensor {
    guard x.rank == 4 else {
      throw TensorError.rank(op: "Transformer2DModel", shape: x.shape, expected: "an image [B, C, H, W]")
    }
    let (height, width) = (x.shape[2], x.shape[3])
    let normed = try norm(x)
    var tokens: Tensor
    switch projIn {
    case .conv(let conv): tokens = try conv(normed).imageTokens()
    case .linear(let linear): tokens = try linear(normed.imageTokens())
    }
    for block in transformerBlocks {
      tokens = try block(tokens, context: context)
    }
    let projected: Tensor
    switch projOut {
    case .conv(let conv): projected = try conv(tokens.tokensImage(height: height, width: width))
    case .linear(let linear): projected = try linear(tokens).tokensImage(height: height, width: width)
    }
    return try projected + x
  }
}

/// diffusers `BasicTransformerBlock` with layer norms: self-attention, cross-attention on the
/// context, and a GEGLU feed-forward, each pre-normed and added to its input.
public struct BasicTransformerBlock: Sendable {
  public let norm1: LayerNorm
  public let attn1: Attention
  public let norm2: LayerNorm
  public let attn2: Attention
  public let norm3: LayerNorm
  public let ff: FeedForward
  /// attn1 attends to the context too (diffusers `only_cross_attention`).
  public let onlyCrossAttention: Bool

  public init(
    _ path: WeightPath, dim: Int, heads: Int, dimHead: Int, crossAttentionDim: Int, onlyCrossAttention: Bool = false
  ) {
    norm1 = LayerNorm(path.child("norm1"), features: dim)
    attn1 = Attention(
      path.child("attn1"), queryDim: dim, crossAttentionDim: onlyCrossAttention ? crossAttentionDim : nil,
      heads: heads, dimHead: dimHead)
    norm2 = LayerNorm(path.child("norm2"), features: dim)
    attn2 = Attention(
      path.child("attn2"), queryDim: dim, crossAttentionDim: crossAttentionDim, heads: heads, dimHead: dimHead)
    norm3 = LayerNorm(path.child("norm3"), features: dim)
    ff = FeedForward(path.child("ff"), dim: dim)
    self.onlyCrossAttention = onlyCrossAttention
  }

  /// `x` [B, L, dim] tokens; `context` [B, S, crossAttentionDim].
  public func callAsFunction(_ x: Tensor, context: Tensor) throws -> Tensor {
    var h = try attn1(norm1(x), context: onlyCrossAttention ? context : nil) + x
    h = try attn2(norm2(h), context: context) + h
    return try ff(norm3(h)) + h
  }
}

/// diffusers `FeedForward` with GEGLU: `net.0.proj` widens to 2 x 4 x dim, one half gates the
/// other through exact GELU, and `net.2` projects back to dim.
public struct FeedForward: Sendable {
  public let proj: Linear
  public let out: Linear

  public init(_ path: WeightPath, dim: Int, mult: Int = 4) {
    let inner = dim * mult
    proj = Linear(path.child("net").child(0).child("proj"), inFeatures: dim, outFeatures: inner * 2)
    out = Linear(path.child("net").child(2), inFeatures: inner, outFeatures: dim)
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    let halves = try proj(x).chunked(2, axis: -1)
    return try out(halves[0] * halves[1].gelu())
  }
}
