import CDNNL

/// Softmax over the rows of dense [rows, cols] blocks on oneDNN's (JIT, max-subtracted)
/// softmax primitive: the kernel under attention. Types may differ between operands, so fp32
/// scores can become bf16 probabilities in the same pass.

/// Writes softmax(src) row by row into `dst`; `dst` may be `src`.
func softmaxRows(
  _ src: UnsafeMutableRawPointer, _ srcType: DType, into dst: UnsafeMutableRawPointer, _ dstType: DType,
  rows: Int, cols: Int
) throws {
  let (s, d) = (try rowsDesc(rows, cols, srcType), try rowsDesc(rows, cols, dstType))
  let prim = try softmaxForwardPrimitive(s, d)
  try prim.execute([(DNNL_ARG_SRC, s, src), (DNNL_ARG_DST, d, dst)])
}

/// The gradient of a row softmax: gradInput = p * (gradOutput - rowsum(gradOutput * p)),
/// where `probs` are the forward outputs. `gradInput` may be `gradOutput`. oneDNN 2.6 wants
/// `probs` and `gradOutput` in one dtype; `gradInput` may differ.
func softmaxRowsBackward(
  probs: UnsafeMutableRawPointer, _ probsType: DType, gradOutput: UnsafeMutableRawPointer, _ gradOutputType: DType,
  into gradInput: UnsafeMutableRawPointer, _ gradInputType: DType, rows: Int, cols: Int
) throws {
  let p = try rowsDesc(rows, cols, probsType)
  let go = try rowsDesc(rows, cols, gradOutputType)
  let gi = try rowsDesc(rows, cols, gradInputType)
  let prim = try softmaxBackwardPrimitive(p, go, gi)
  if !prim.isReference {
    try prim.execute([
      (DNNL_ARG_DST, p, probs), (DNNL_ARG_DIFF_DST, go, gradOutput), (DNNL_ARG_DIFF_SRC, gi, gradInput),
    ])
    return
  }
  // oneDNN has only its reference kernel here (AVX2): the engine's own, in fp32.
  let n = rows * cols
  let p32 = widened(probs, probsType, count: n)
  let go32 = widened(gradOutput, gradOutputType, count: n)
  let gi32 = gradInputType == .float32 ? nil : TensorStorage(byteCount: n * 4)
  let out = gi32?.raw ?? gradInput
  withExtendedLifetime((p32, go32, gi32)) {
    SoftmaxLoops.backwardRows(
      p32.pointer, go32.pointer, out.assumingMemoryBound(to: Float.self), rows: rows, cols: cols, log: false)
  }
  if let gi32 { narrowToBF16(gi32.raw, into: gradInput, count: n) }
}

/// `count` values at `ptr` as fp32: the buffer itself, or a widened copy of bf16 ones.
private func widened(
  _ ptr: UnsafeMutableRawPointer, _ dtype: DType, count: Int
) -> (pointer: UnsafePointer<Float>, storage: TensorStorage?) {
  if dtype == .float32 { return (UnsafePointer(ptr.assumingMemoryBound(to: Float.self)), nil) }
  let storage = TensorStorage(byteCount: count * 4)
  widenBF16(ptr, into: storage.raw, count: count)
  return (UnsafePointer(storage.raw.assumingMemoryBound(to: Float.self)), storage)
}

/// A dense [rows, cols] descriptor.
func rowsDesc(_ rows: Int, _ cols: Int, _ dtype: DType) throws -> DNNLMemoryDesc {
  try DNNLMemoryDesc([rows, cols], dtype, tag: dnnl_ab)
}

/// The cached softmax (or log-softmax) over axis 1 from `src` to `dst`: the primitive under
/// both attention's row softmax and the `softmax`/`logSoftmax` ops.
func softmaxForwardPrimitive(
  _ src: DNNLMemoryDesc, _ dst: DNNLMemoryDesc, log: Bool = false, op: String = "softmax"
) throws -> DNNLPrimitive {
  let alg = log ? dnnl_softmax_log : dnnl_softmax_accurate
  return try DNNLContext.shared.primitive("softmax.fwd|\(alg.rawValue)|\(describe(src))|\(describe(dst))") {
    var desc = dnnl_softmax_v2_desc_t()
    var (sm, dm) = (src.kernel.md, dst.kernel.md)
    try dnnlCheck(
      dnnl_softmax_v2_forward_desc_init(&desc, dnnl_forward_training, alg, &sm, &dm, 1), op,
      "softmax_v2_forward_desc_init")
    return try withUnsafePointer(to: &desc) { try DNNLPrimitive(op: op, desc: UnsafeRawPointer($0)) }
  }
}

/// The cached softmax (or log-softmax) backward over axis 1 from forward outputs and their gradient.
func softmaxBackwardPrimitive(
  _ p: DNNLMemoryDesc, _ go: DNNLMemoryDesc, _ gi: DNNLMemoryDesc, log: Bool = false,
  op: String = "softmax backward"
) throws -> DNNLPrimitive {
  let alg = log ? dnnl_softmax_log : dnnl_softmax_accurate
  let key = "softmax.bwd|\(alg.rawValue)|\(describe(p))|\(describe(go))|\(describe(gi))"
  return try DNNLContext.shared.primitive(key) {
    let hint = try softmaxForwardPrimitive(gi, p, log: log, op: op)
    var desc = dnnl_softmax_v2_desc_t()
    var (gim, gom, pm) = (gi.kernel.md, go.kernel.md, p.kernel.md)
    try dnnlCheck(
      dnnl_softmax_v2_backward_desc_init(&desc, alg, &gim, &gom, &pm, 1), op, "softmax_v2_backward_desc_init")
    return try withUnsafePointer(to: &desc) { try DNNLPrimitive(op: op, desc: UnsafeRawPointer($0), hint: hint) }
  }
}
