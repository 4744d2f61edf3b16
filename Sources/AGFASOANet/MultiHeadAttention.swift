import AGFASEngine
import AGFASNN

/// Multi-head attention as transformers' `ViTSelfAttention` + `ViTSelfOutput` compute it:
/// `softmax(Q K^T / sqrt(d)) V` per head, heads merged, then the output Linear. The query
/// comes from `x`, keys and values from `context` (the same tensor for self-attention).
public struct MultiHeadAttention: Sendable {
  public let query: Linear
  public let key: Linear
  public let value: Linear
  public let output: Linear
  public let heads: Int

  /// `projections` holds `query`/`key`/`value` (named by `names`), `outputPath` the output
  /// Linear; keys and values map `contextDim` to `dim`.
  public init(
    projections: WeightPath, outputPath: WeightPath, names: (query: String, key: String, value: String),
    dim: Int, contextDim: Int, heads: Int, bias: Bool = true
  ) {
    query = Linear(projections.child(names.query), inFeatures: dim, outFeatures: dim, bias: bias)
    key = Linear(projections.child(names.key), inFeatures: contextDim, outFeatures: dim, bias: bias)
    value = Linear(projections.child(names.value), inFeatures: contextDim, outFeatures: dim, bias: bias)
    output = Linear(outputPath, inFeatures: dim, outFeatures: dim)
    self.heads = heads
  }

  /// `x` [B, L, dim], `context` [B, S, contextDim] -> [B, L, dim].
  public func callAsFunction(_ x: Tensor, context: Tensor) throws -> Tensor {
    guard x.rank == 3, context.rank == 3, x.shape[0] == context.shape[0] else {
      throw TensorError.shapeMismatch(
        op: "MultiHeadAttention", shapes: [x.shape, context.shape],
        reason: "input [B, L, C] and context [B, S, C'] need rank 3 and the same batch")
    }
    let headDim = query.weight.shape[0] / heads
    let attended = try Tensor.scaledDotProductAttention(
      query: splitHeads(query(x)), key: splitHeads(key(context)), value: splitHeads(value(context)),
      scale: 1 / Float(headDim).squareRoot())
    let (b, l) = (x.shape[0], x.shape[1])
    return try output(attended.permuted([0, 2, 1, 3]).reshaped([b, l, heads * headDim]))
  }

  /// [B, N, H*D] -> [B, H, N, D].
  private func splitHeads(_ t: Tensor) throws -> Tensor {
    let (b, n) = (t.shape[0], t.shape[1])
    return try t.reshaped([b, n, heads, t.shape[2] / heads]).permuted([0, 2, 1, 3])
  }
}
