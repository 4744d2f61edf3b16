import CDNNL

/// Runs c = scale * a @ b (+ bias) on oneDNN's matmul primitive, batched with broadcasting,
/// writing into `c`'s storage. `a`, `b`, `c` share one batch shape (`MatrixView.coalesced`);
/// `a` and `b` have the compute dtype, `c` that or fp32; `bias` is a dense [N] vector.
func dnnlMatmul(
  _ a: MatrixView, _ b: MatrixView, bias: Tensor? = nil, into c: MatrixView, scale: Float = 1, op: String
) throws {
  let (a, b, c) = foldedBatch(a, b, c)
  let (ad, bd, cd) = (try a.desc(), try b.desc(), try c.desc())
  let biasd = try bias.map { try biasDesc($0, ndims: c.batch.count + 2) }
  let prim = try dnnlMatmulPrimitive(ad, bd, bias: biasd, cd, scale: scale, op: op)
  var args = [(DNNL_ARG_SRC, ad, a.base), (DNNL_ARG_WEIGHTS, bd, b.base), (DNNL_ARG_DST, cd, c.base)]
  if let bias, let biasd { args.append((DNNL_ARG_BIAS, biasd, bias.storage.raw)) }
  try prim.execute(args)
}

/// Runs c = a @ weight^T (+ bias) for a [M, in] and a row-major [out, in] weight (F.linear).
/// oneDNN picks the weight layout it reads fastest; the weight is reordered into it (and into
/// the compute dtype) once and cached on the weight's storage.
func dnnlLinear(_ a: MatrixView, weight: Tensor, bias: Tensor?, into c: MatrixView, op: String) throws {
  let w = MatrixView(weight, transposed: true)
  let (ad, wd, cd) = (try a.desc(), try w.desc(), try c.desc())
  let anyWeights = try DNNLMemoryDesc([w.rows, w.cols], a.dtype, tag: dnnl_format_tag_any)
  let biasd = try bias.map { try biasDesc($0, ndims: 2) }
  let prim = try dnnlMatmulPrimitive(ad, anyWeights, bias: biasd, cd, op: op)
  let packed = prim.md(dnnl_query_weights_md)
  var weights = w.base
  // Holds an uncached copy (a trained weight's) until the primitive has run.
  var copy: TensorStorage?
  if !packed.equals(wd) || weight.needsBF16Rounding(compute: a.dtype) {
    let key = "matmul.weights|\(describe(wd))|\(describe(packed))|\(a.dtype)"
    let storage = try weight.kernelCopy(key) {
      let source = weight.roundedForKernel(compute: a.dtype)
      let s = TensorStorage(byteCount: packed.byteSize)
      try withExtendedLifetime(source) {
        try dnnlReorder(
          from: MatrixView(source, transposed: true).desc(), source.storage.raw, to: packed, s.raw, op: op)
      }
      return s
    }
    weights = storage.raw
    copy = storage
  }
  var args = [(DNNL_ARG_SRC, ad, a.base), (DNNL_ARG_WEIGHTS, packed, weights), (DNNL_ARG_DST, cd, c.base)]
  if let bias, let biasd { args.append((DNNL_ARG_BIAS, biasd, bias.storage.raw)) }
  try withExtendedLifetime(copy) { try prim.execute(args) }
}

/// The cached matmul primitive for these descriptors; `scale` becomes an output scale.
func dnnlMatmulPrimitive(
  _ a: DNNLMemoryDesc, _ b: DNNLMemoryDesc, bias: DNNLMemoryDesc?, _ c: DNNLMemoryDesc, scale: Float = 1,
  op: String
) throws -> DNNLPrimitive {
  let key = "matmul|\(describe(a))|\(describe(b))|\(bias.map(describe) ?? "-")|\(describe(c))|\(scale)"
  return try DNNLContext.shared.primitive(key) {
    var desc = dnnl_matmul_desc_t()
    var (am, bm, cm) = (a.kernel.md, b.kernel.md, c.kernel.md)
    // A zero descriptor disables the bias term.
    var biasm = bias?.kernel.md ?? dnnl_memory_desc_t()
    try dnnlCheck(dnnl_matmul_desc_init(&desc, &am, &bm, &biasm, &cm), op, "matmul_desc_init")
    var attr: dnnl_primitive_attr_t?
    try dnnlCheck(dnnl_primitive_attr_create(&attr), op, "primitive_attr_create")
    defer { dnnl_primitive_attr_destroy(attr) }
    if scale != 1 {
      var s = scale
      try dnnlCheck(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &s), op, "primitive_attr_set_output_scales")
    }
    return try withUnsafePointer(to: &desc) { try DNNLPrimitive(op: op, desc: UnsafeRawPointer($0), attr: attr) }
  }
}

/// A bias vector as a [1, ..., 1, N] row broadcast over the output.
private func biasDesc(_ bias: Tensor, ndims: Int) throws -> DNNLMemoryDesc {
  let dims = [Int](repeating: 1, count: ndims - 1) + [bias.count]
  return try DNNLMemoryDesc(dims, bias.dtype, strides: Shape.strides(dims))
}

/// When `b` is one matrix shared by the whole batch and `a`, `c` stack their rows densely,
/// the batch folds into the rows: one large GEMM instead of many small ones.
private func foldedBatch(
  _ a: MatrixView, _ b: MatrixView, _ c: MatrixView
) -> (MatrixView, MatrixView, MatrixView) {
  guard a.batch.count == 1, b.batchStrides == [0], a.colStride == 1, c.colStride == 1,
    a.batchStrides[0] == a.rows * a.rowStride, c.batchStrides[0] == c.rows * c.rowStride
  else { return (a, b, c) }
  func fold(_ v: MatrixView) -> MatrixView {
    var v = v
    v.rows *= v.batch.first ?? 1
    v.batch = []
    v.batchStrides = []
    return v
  }
  var shared = b
  shared.batch = []
  shared.batchStrides = []
  return (fold(a), shared, fold(c))
}
