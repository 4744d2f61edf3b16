import CDNNL

/// The untracked attention kernels: matmul into fp32 scores, row softmax, matmul with the
/// values, and the reverse. Both walk the batch in chunks (`BatchChunks`), so the fp32
/// score-sized scratch of one chunk stays within `attentionScoreBudget` elements and in the
/// last-level cache between the three steps. Operands are row-major, in one compute dtype.

/// Score elements per chunk: 4 MiB of fp32, one 1024x1024 head.
let attentionScoreBudget = 1 << 20

/// softmax(scale * q @ k^T) @ v at the batch shape `batch`; also returns the probabilities
/// [batch..., L, S] (compute dtype) when `keepProbs`.
func attentionForward(
  _ q: Tensor, _ k: Tensor, _ v: Tensor, batch: [Int], scale: Float, keepProbs: Bool,
  budget: Int = attentionScoreBudget
) throws -> (Tensor, Tensor?) {
  let op = "scaled_dot_product_attention"
  let dtype = q.dtype
  let (l, s, ev) = (q.shape[q.rank - 2], k.shape[k.rank - 2], v.shape[v.rank - 1])
  let out = Tensor.empty(batch + [l, ev], dtype: dtype)
  let probs = keepProbs ? Tensor.empty(batch + [l, s], dtype: dtype) : nil
  if out.count == 0 { return (out, probs) }
  let chunks = BatchChunks(
    [
      MatrixView(q).broadcast(to: batch), MatrixView(k, transposed: true).broadcast(to: batch),
      MatrixView(v).broadcast(to: batch), MatrixView(out),
    ], perMatrix: l * s, budget: budget)
  // Kept fp32 probabilities are made in place from their scores; else scores need scratch.
  let inPlace = dtype == .float32 && keepProbs
  let scratch = chunks.maxMatrices * l * s
  let scores = inPlace ? nil : TensorStorage(byteCount: scratch * 4)
  let chunkProbs = dtype == .float32 || keepProbs ? nil : TensorStorage(byteCount: scratch * dtype.byteSize)
  try withExtendedLifetime((q, k, v)) {
    try chunks.forEach { part, first in
      let offset = first * l * s
      let scoresPtr = scores?.raw ?? probs!.storage.raw + offset * 4
      let probsPtr = probs.map { $0.storage.raw + offset * dtype.byteSize } ?? chunkProbs?.raw ?? scoresPtr
      let matrices = part[0].batch
      try dnnlMatmul(
        part[0], part[1], into: MatrixView(contiguous: matrices, rows: l, cols: s, dtype: .float32, base: scoresPtr),
        scale: scale, op: op)
      let rows = part[0].batchCount * l
      if dtype == .float32 {
        try softmaxRows(scoresPtr, .float32, into: probsPtr, dtype, rows: rows, cols: s)
      } else {
        // oneDNN's fp32-to-bf16 softmax rounds inside the row (exp, then the quotient); the
        // reference rounds each probability once, from fp32 (docs/engine.md).
        try softmaxRows(scoresPtr, .float32, into: scoresPtr, .float32, rows: rows, cols: s)
        narrowToBF16(scoresPtr, into: probsPtr, count: rows * s)
      }
      try dnnlMatmul(
        MatrixView(contiguous: matrices, rows: l, cols: s, dtype: dtype, base: probsPtr), part[2], into: part[3],
        op: op)
    }
  }
  return (out, probs)
}

/// Gradients of attention at the batch shape `batch` (the caller sums broadcast dims):
/// dq = scale * dS @ k, dk = scale * dS^T @ q, dv = P^T @ g, where dS is the softmax
/// gradient of dP = g @ v^T. Each is computed only when its `need` is set; dq needs `k`, dk
/// needs `q`, both need `v`.
func attentionBackward(
  _ g: Tensor, probs: Tensor, q: Tensor?, k: Tensor?, v: Tensor?, batch: [Int], scale: Float,
  need: (q: Bool, k: Bool, v: Bool), budget: Int = attentionScoreBudget
) throws -> (Tensor?, Tensor?, Tensor?) {
  let op = "scaled_dot_product_attention backward"
  let dtype = probs.dtype
  let (l, s) = (probs.shape[probs.rank - 2], probs.shape[probs.rank - 1])
  let scoresNeeded = need.q || need.k
  func grad(_ needed: Bool, _ x: Tensor?, _ rows: Int) -> Tensor? {
    // No queries (L = 0): the key and value gradients are zeros that no chunk writes.
    guard needed, let x else { return nil }
    let shape = batch + [rows, x.shape[x.rank - 1]]
    return l == 0 ? Tensor.zeros(shape, dtype: dtype) : Tensor.empty(shape, dtype: dtype)
  }
  let dq = grad(need.q, k, l)
  let dk = grad(need.k, q, s)
  let dv = grad(need.v, g, s)
  if probs.count == 0 { return (dq, dk, dv) }
  let all: [MatrixView?] = [
    MatrixView(g), MatrixView(probs), q.map { MatrixView($0).broadcast(to: batch) },
    k.map { MatrixView($0).broadcast(to: batch) }, v.map { MatrixView($0, transposed: true).broadcast(to: batch) },
    dq.map { MatrixView($0) }, dk.map { MatrixView($0) }, dv.map { MatrixView($0) },
  ]
  let chunks = BatchChunks(all.compactMap { $0 }, perMatrix: l * s, budget: budget)
  // Positions of the present views among the coalesced ones.
  var next = 0
  let index = all.map { view -> Int? in
    guard view != nil else { return nil }
    defer { next += 1 }
    return next
  }
  let scratch = scoresNeeded ? chunks.maxMatrices * l * s : 0
  let dp = TensorStorage(byteCount: scratch * 4)
  let widened = dtype == .float32 ? nil : TensorStorage(byteCount: scratch * 4)
  let ds = dtype == .float32 ? nil : TensorStorage(byteCount: scratch * dtype.byteSize)
  try withExtendedLifetime((g, probs, q, k, v)) {
    try chunks.forEach { part, _ in
      func view(_ i: Int) -> MatrixView { part[index[i]!] }
      let (gc, pc) = (view(0), view(1))
      if need.v { try dnnlMatmul(pc.transposed, gc, into: view(7), op: op) }
      guard scoresNeeded else { return }
      let rows = gc.batchCount * l
      try dnnlMatmul(
        gc, view(4), into: MatrixView(contiguous: gc.batch, rows: l, cols: s, dtype: .float32, base: dp.raw), op: op)
      // oneDNN's softmax backward reads the probabilities in dP's type: bf16 ones widen.
      var p32 = pc.base
      if let widened {
        widenBF16(pc.base, into: widened.raw, count: rows * s)
        p32 = widened.raw
      }
      let dsPtr = ds?.raw ?? dp.raw
      try softmaxRowsBackward(
        probs: p32, .float32, gradOutput: dp.raw, .float32, into: dsPtr, dtype, rows: rows, cols: s)
      let dsView = MatrixView(contiguous: gc.batch, rows: l, cols: s, dtype: dtype, base: dsPtr)
      if need.q { try dnnlMatmul(dsView, view(3), into: view(5), scale: scale, op: op) }
      if need.k { try dnnlMatmul(dsView.transposed, view(2), into: view(6), scale: scale, op: op) }
    }
  }
  return (dq, dk, dv)
}
