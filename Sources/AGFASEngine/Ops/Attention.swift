/// Scaled dot-product attention (F.scaled_dot_product_attention without mask or dropout):
/// a matmul into fp32 scores, a row softmax, a matmul with the values
/// (CPU/AttentionKernels.swift).
///
/// Memory: for backward only the probabilities are kept (one [L, S] matrix per batch entry,
/// in the compute dtype); all other score-sized buffers exist one batch chunk at a time.
extension Tensor {
  /// softmax(query @ key^T * scale) @ value over the last two dims, batch dims broadcast:
  /// query [..., L, E], key [..., S, E], value [..., S, Ev] give [..., L, Ev]. `scale`
  /// defaults to 1/sqrt(E). Computes in the query's dtype; scores and softmax in fp32.
  public static func scaledDotProductAttention(
    query: Tensor, key: Tensor, value: Tensor, scale: Float? = nil
  ) throws -> Tensor {
    let op = "scaled_dot_product_attention"
    let shapes = [query.shape, key.shape, value.shape]
    guard query.rank >= 2, key.rank >= 2, value.rank >= 2 else {
      throw TensorError.shapeMismatch(op: op, shapes: shapes, reason: "query, key and value need rank >= 2")
    }
    let (e, s) = (query.shape[query.rank - 1], key.shape[key.rank - 2])
    guard key.shape[key.rank - 1] == e else {
      throw TensorError.shapeMismatch(op: op, shapes: shapes, reason: "query and key differ in their last dim")
    }
    guard value.shape[value.rank - 2] == s else {
      throw TensorError.shapeMismatch(op: op, shapes: shapes, reason: "key and value differ in length (dim -2)")
    }
    guard e > 0, s > 0, value.shape[value.rank - 1] > 0 else {
      throw TensorError.shapeMismatch(op: op, shapes: shapes, reason: "needs at least one key and one feature")
    }
    guard
      let batch = Shape.broadcast(Array(query.shape.dropLast(2)), Array(key.shape.dropLast(2))).flatMap({
        Shape.broadcast($0, Array(value.shape.dropLast(2)))
      })
    else {
      throw TensorError.shapeMismatch(op: op, shapes: shapes, reason: "batch dims do not broadcast")
    }
    let scale = scale ?? 1 / Float(e).squareRoot()
    guard scale.isFinite else {
      throw TensorError.invalidArgument(op: op, reason: "scale \(scale) is not finite")
    }
    let dtype = query.dtype
    let (q, k, v) = (try query.matrixOperand(dtype), try key.matrixOperand(dtype), try value.matrixOperand(dtype))
    let needs = (query.requiresGrad, key.requiresGrad, value.requiresGrad)
    let keep = GradMode.enabled && (needs.0 || needs.1 || needs.2)
    let (out, probs) = try attentionForward(q, k, v, batch: batch, scale: scale, keepProbs: keep)
    guard let probs else { return out }
    // Saved for backward: dq needs k, dk needs q, both need v (through dP).
    let saved = (q: needs.1 ? q : nil, k: needs.0 ? k : nil, v: needs.0 || needs.1 ? v : nil)
    let (qShape, kShape, vShape) = (query.shape, key.shape, value.shape)
    let (qType, kType, vType) = (query.dtype, key.dtype, value.dtype)
    return out.recorded(op, inputs: [query, key, value]) { g in
      let (dq, dk, dv) = try attentionBackward(
        g.matrixOperand(dtype), probs: probs, q: saved.q, k: saved.k, v: saved.v, batch: batch, scale: scale,
        need: needs)
      return [
        try dq?.summed(toShape: qShape).converted(to: qType), try dk?.summed(toShape: kShape).converted(to: kType),
        try dv?.summed(toShape: vShape).converted(to: vType),
      ]
    }
  }
}
