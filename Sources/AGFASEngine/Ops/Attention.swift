/// Scaled dot-product attention (F.scaled_dot_product_attention without mask or dropout):
/// a matmul into fp32 scores, a row softmax, a matmul with the values.
///
/// Memory: for backward only the probabilities are kept (one [L, S] matrix per batch
/// entry, in the compute dtype). fp32 scores that are not kept (no autograd, or bf16
/// probabilities) are made in chunks of the batch, at most about `scoreBudget` at a time.
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
      let op = "scaled_dot_product_attention backward"
      let g = try g.matrixOperand(dtype)
      let dv = try needs.2 ? product(probs, transA: true, g, op: op).summed(toShape: vShape) : nil
      guard let sv = saved.v else { return [nil, nil, dv?.converted(to: vType)] }
      // dScores = softmax'(dP) with dP = g @ v^T in fp32; kept in the compute dtype.
      let dp = try product(g, sv, transB: true, outType: .float32, op: op)
      let ds = dtype == .float32 ? dp : Tensor.empty(dp.shape, dtype: dtype)
      // oneDNN's softmax backward reads probabilities in dP's type: bf16 ones widen here,
      // for this layer's backward only.
      let p = probs.convertedUntracked(to: .float32)
      try withExtendedLifetime(p) {
        try softmaxRowsBackward(
          probs: p.storage.raw, .float32, gradOutput: dp.storage.raw, .float32, into: ds.storage.raw, dtype,
          rows: dp.count / s, cols: s)
      }
      let dq = try saved.k.map { try product(ds, $0, scale: scale, op: op).summed(toShape: qShape) }
      let dk = try saved.q.map { try product(ds, transA: true, $0, scale: scale, op: op).summed(toShape: kShape) }
      return [
        dq?.converted(to: qType), dk?.converted(to: kType), dv?.converted(to: vType),
      ]
    }
  }

  /// Scores held at a time by the chunked no-grad path (64 MiB of fp32).
  static let scoreBudget = 1 << 24

  /// Untracked attention over row-major operands in one dtype; returns the output and, when
  /// `keepProbs`, the probabilities [batch..., L, S] in that dtype. Scores that are not
  /// computed in place exist at most about `budget` at a time.
  static func attentionForward(
    _ q: Tensor, _ k: Tensor, _ v: Tensor, batch: [Int], scale: Float, keepProbs: Bool, budget: Int = scoreBudget
  ) throws -> (Tensor, Tensor?) {
    let op = "scaled_dot_product_attention"
    let dtype = q.dtype
    let (l, s, ev) = (q.shape[q.rank - 2], k.shape[k.rank - 2], v.shape[v.rank - 1])
    let out = Tensor.empty(batch + [l, ev], dtype: dtype)
    let probs = keepProbs ? Tensor.empty(batch + [l, s], dtype: dtype) : nil
    if out.count == 0 { return (out, probs) }
    let views = MatrixView.coalesced([
      MatrixView(q).broadcast(to: batch), MatrixView(k, transposed: true).broadcast(to: batch),
      MatrixView(v).broadcast(to: batch), MatrixView(out),
    ])
    // Chunks run along the outermost merged batch dim; `inner` matrices per index.
    let outer = views[0].batch.first ?? 1
    let inner = views[0].batchCount / max(outer, 1)
    let perIndex = inner * l * s
    // Kept fp32 probabilities are computed in place as scores; otherwise fp32 scores live in
    // a scratch buffer of one chunk.
    let inPlace = dtype == .float32 && keepProbs
    let chunk = inPlace || views[0].batch.isEmpty ? outer : max(1, min(outer, budget / max(perIndex, 1)))
    let scores = inPlace ? nil : TensorStorage(byteCount: chunk * perIndex * 4)
    let scratchProbs =
      dtype == .float32 || keepProbs ? nil : TensorStorage(byteCount: chunk * perIndex * dtype.byteSize)
    try withExtendedLifetime((q, k, v, out)) {
      for lo in stride(from: 0, to: outer, by: chunk) {
        let range = lo..<min(outer, lo + chunk)
        let part = views.map { $0.batch.isEmpty ? $0 : $0.slice(range) }
        let rows = range.count * inner * l
        let scoresPtr = scores?.raw ?? probs!.storage.raw + lo * perIndex * 4
        let probsPtr =
          keepProbs
          ? probs!.storage.raw + lo * perIndex * dtype.byteSize : (scratchProbs?.raw ?? scoresPtr)
        let matrices = Array(part[0].batch)
        try dnnlMatmul(
          part[0], part[1], into: MatrixView(contiguous: matrices, rows: l, cols: s, dtype: .float32, base: scoresPtr),
          scale: scale, op: op)
        try softmaxRows(scoresPtr, .float32, into: probsPtr, dtype, rows: rows, cols: s)
        try dnnlMatmul(
          MatrixView(contiguous: matrices, rows: l, cols: s, dtype: dtype, base: probsPtr), part[2], into: part[3],
          op: op)
      }
    }
    return (out, probs)
  }
}
