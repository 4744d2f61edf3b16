import AGFASEngine
import AGFASNN

/// diffusers `Attention` (CrossAttention) as Stable Diffusion's transformers use it:
/// bias-free `to_q`/`to_k`/`to_v`, multi-head scaled dot-product attention with scale
/// `dim_head^-0.5`, and `to_out.0` (with bias). Keys and values come from the context when
/// one is given (cross-attention), else from the input (self-attention).
public struct Attention: Sendable {
  public let toQ: Linear
  public let toK: Linear
  public let toV: Linear
  public let toOut: Linear
  public let heads: Int
  public let dimHead: Int

  /// `crossAttentionDim`: the context's width (nil: self-attention, the query's width).
  public init(_ path: WeightPath, queryDim: Int, crossAttentionDim: Int? = nil, heads: Int, dimHead: Int) {
    let inner = heads * dimHead
    let contextDim = crossAttentionDim ?? queryDim
    toQ = Linear(path.child("to_q"), inFeatures: queryDim, outFeatures: inner, bias: false)
    toK = Linear(path.child("to_k"), inFeatures: contextDim, outFeatures: inner, bias: false)
    toV = Linear(path.child("to_v"), inFeatures: contextDim, outFeatures: inner, bias: false)
    toOut = Linear(path.child("to_out").child(0), inFeatures: inner, outFeatures: queryDim)
    self.heads = heads
    self.dimHead = dimHead
  }

  /// `x` [B, L, queryDim]; `context` [B, S, crossAttentionDim] or nil. Returns [B, L, queryDim].
  public func callAsFunction(_ x: Tensor, context: Tensor? = nil) throws -> Tensor {
    let source = context ?? x
    guard x.rank == 3, source.rank == 3, source.shape[0] == x.shape[0] else {
      throw TensorError.shapeMismatch(
        op: "Attention", shapes: [x.shape, source.shape],
        reason: "input [B, L, C] and context [B, S, C'] need rank 3 and the same batch")
    }
    let attended = try Tensor.scaledDotProductAttention(
      query: splitHeads(toQ(x)), key: splitHeads(toK(source)), value: splitHeads(toV(source)),
      scale: 1 / Float(dimHead).squareRoot())
    return try toOut(mergeHeads(attended))
  }

  /// [B, N, H*D] -> [B, H, N, D].
  private func splitHeads(_ t: Tensor) throws -> Tensor {
    let (b, n) = (t.shape[0], t.shape[1])
    if heads == 1 { return try t.reshaped([b, 1, n, dimHead]) }
    return try t.reshaped([b, n, heads, dimHead]).permuted([0, 2, 1, 3])
  }

  /// [B, H, N, D] -> [B, N, H*D].
  private func mergeHeads(_ t: Tensor) throws -> Tensor {
    let (b, n) = (t.shape[0], t.shape[2])
    if heads == 1 { return try t.reshaped([b, n, dimHead]) }
    return try t.permuted([0, 2, 1, 3]).reshaped([b, n, heads * dimHead])
  }
}
