import CDNNL

/// Everything that selects a 2-D convolution primitive: shapes, stride, padding, dilation,
/// groups, the compute dtype and whether there is a bias.
struct ConvGeometry {
  let batch: Int, inChannels: Int, height: Int, width: Int
  let outChannels: Int, kernelH: Int, kernelW: Int
  let stride: [Int]
  let padding: [Int]
  let dilation: [Int]
  let groups: Int
  /// The input's dtype: activations, weights and outputs all run in it.
  let dtype: DType
  let hasBias: Bool

  var outH: Int { (height + 2 * padding[0] - dilation[0] * (kernelH - 1) - 1) / stride[0] + 1 }
  var outW: Int { (width + 2 * padding[1] - dilation[1] * (kernelW - 1) - 1) / stride[1] + 1 }
  var inputDims: [Int] { [batch, inChannels, height, width] }
  var outputDims: [Int] { [batch, outChannels, outH, outW] }
  /// PyTorch's weight shape, [Cout, Cin/groups, kH, kW].
  var weightShape: [Int] { [outChannels, inChannels / groups, kernelH, kernelW] }
  /// Weight dims as oneDNN sees them: grouped convolutions add a leading group dim.
  var weightDims: [Int] {
    groups == 1 ? weightShape : [groups, outChannels / groups, inChannels / groups, kernelH, kernelW]
  }

  /// For a 1x1 kernel without padding and with a stride above 1, the same convolution over
  /// the subsampled input (every stride-th pixel) with stride 1; nil otherwise.
  var stridedPointwise: ConvGeometry? {
    guard kernelH == 1, kernelW == 1, padding == [0, 0], stride != [1, 1] else { return nil }
    return ConvGeometry(
      batch: batch, inChannels: inChannels, height: outH, width: outW, outChannels: outChannels, kernelH: 1,
      kernelW: 1, stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: groups, dtype: dtype, hasBias: hasBias)
  }

  /// Primitive cache key: every field above.
  var key: String {
    "\(inputDims)|\(weightShape)|s\(stride)|p\(padding)|d\(dilation)|g\(groups)|\(dtype)|bias:\(hasBias)"
  }

  var strides64: [Int64] { stride.map(Int64.init) }
  var padding64: [Int64] { padding.map(Int64.init) }
  /// oneDNN counts dilation from 0 (no gaps), PyTorch from 1.
  var dilation64: [Int64] { dilation.map { Int64($0 - 1) } }
}

/// oneDNN convolution kernels on channels-last activations. Weights go in the blocked layout
/// the primitive picks (`format_tag_any`), reordered once per weight storage and cached there.
enum DNNLConvolution {
  /// `x` (channels-last, `g.dtype`) convolved with `weight` (OIHW, any dtype/layout), plus `bias`.
  /// `training` builds the forward_training variant that backward primitives take as a hint.
  static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, _ g: ConvGeometry, training: Bool) throws -> Tensor {
    let prim = try forwardPrimitive(g, training: training)
    let wmd = prim.md(dnnl_query_weights_md)
    let packed = try packedWeights(weight, wmd, g)
    let out = Tensor.empty(g.outputDims, dtype: g.dtype, layout: .channelsLast)
    var args = [
      (DNNL_ARG_SRC, try DNNLMemoryDesc(of: x), x.storage.raw),
      (DNNL_ARG_WEIGHTS, wmd, packed.raw),
      (DNNL_ARG_DST, try DNNLMemoryDesc(of: out), out.storage.raw),
    ]
    // The bias runs in fp32 for both compute types (oneDNN accepts it; bf16 widens exactly).
    let bias32 = bias.map { $0.convertedUntracked(to: .float32) }
    if let bias32 { args.append((DNNL_ARG_BIAS, try biasDesc(g), bias32.storage.raw)) }
    try withExtendedLifetime((packed, bias32)) { try prim.execute(args) }
    return out
  }

  /// Gradient of the input from the output gradient `gy` (channels-last, `g.dtype`).
  static func backwardData(_ gy: Tensor, weight: Tensor, _ g: ConvGeometry) throws -> Tensor {
    let hint = try forwardPrimitive(g, training: true)
    let prim = try DNNLContext.shared.primitive("conv2d.bwd_data|\(g.key)") {
      var diffSrc = try DNNLMemoryDesc(g.inputDims, g.dtype.kernelType, tag: dnnl_nhwc).md
      var wei = try DNNLMemoryDesc(g.weightDims, g.dtype.kernelType, tag: dnnl_format_tag_any).md
      var diffDst = try DNNLMemoryDesc(g.outputDims, g.dtype.kernelType, tag: dnnl_nhwc).md
      var desc = dnnl_convolution_desc_t()
      try dnnlCheck(
        dnnl_dilated_convolution_backward_data_desc_init(
          &desc, dnnl_convolution_direct, &diffSrc, &wei, &diffDst, g.strides64, g.dilation64, g.padding64,
          g.padding64), "conv2d backward data", "dilated_convolution_backward_data_desc_init")
      return try DNNLPrimitive(op: "conv2d backward data", desc: &desc, hint: hint)
    }
    let wmd = prim.md(dnnl_query_weights_md)
    let packed = try packedWeights(weight, wmd, g)
    let gx = Tensor.empty(g.inputDims, dtype: g.dtype, layout: .channelsLast)
    try withExtendedLifetime(packed) {
      try prim.execute([
        (DNNL_ARG_DIFF_DST, try DNNLMemoryDesc(of: gy), gy.storage.raw),
        (DNNL_ARG_WEIGHTS, wmd, packed.raw),
        (DNNL_ARG_DIFF_SRC, try DNNLMemoryDesc(of: gx), gx.storage.raw),
      ])
    }
    return gx
  }

  /// Gradients of the weight (row-major OIHW in `weightType`) and, when the convolution has
  /// one, of the bias (`[Cout]` in `biasType`), from the input `x` and output gradient `gy`
  /// (both channels-last, `g.dtype`). oneDNN accumulates both in fp32.
  static func backwardWeights(
    _ x: Tensor, _ gy: Tensor, _ g: ConvGeometry, weightType: DType, biasType: DType
  ) throws -> (weight: Tensor, bias: Tensor?) {
    // oneDNN skips zero-volume executions and would leave the gradient buffers unwritten.
    if g.batch == 0 {
      return (
        Tensor.zeros(g.weightShape, dtype: weightType), g.hasBias ? Tensor.zeros([g.outChannels], dtype: biasType) : nil
      )
    }
    let hint = try forwardPrimitive(g, training: true)
    let prim = try DNNLContext.shared.primitive("conv2d.bwd_weights|\(g.key)") {
      var src = try DNNLMemoryDesc(g.inputDims, g.dtype.kernelType, tag: dnnl_nhwc).md
      var diffWei = try DNNLMemoryDesc(g.weightDims, .float32, tag: dnnl_format_tag_any).md
      let diffBias = try biasDesc(g).md
      var diffDst = try DNNLMemoryDesc(g.outputDims, g.dtype.kernelType, tag: dnnl_nhwc).md
      var desc = dnnl_convolution_desc_t()
      try withUnsafePointer(to: diffBias) { biasPtr in
        try dnnlCheck(
          dnnl_dilated_convolution_backward_weights_desc_init(
            &desc, dnnl_convolution_direct, &src, &diffWei, g.hasBias ? biasPtr : nil, &diffDst, g.strides64,
            g.dilation64, g.padding64, g.padding64), "conv2d backward weights",
          "dilated_convolution_backward_weights_desc_init")
      }
      return try DNNLPrimitive(op: "conv2d backward weights", desc: &desc, hint: hint)
    }
    let dwmd = prim.md(dnnl_query_diff_weights_md)
    let gw = Tensor.empty(g.weightShape, dtype: weightType)
    let plain = try weightDesc(gw, g)
    // Write straight into the result when the primitive chose plain OIHW in its dtype.
    let direct = plain.equals(dwmd)
    let scratch = direct ? gw.storage : TensorStorage(byteCount: dwmd.byteSize)
    let gb = g.hasBias ? Tensor.empty([g.outChannels], dtype: .float32) : nil
    var args = [
      (DNNL_ARG_SRC, try DNNLMemoryDesc(of: x), x.storage.raw),
      (DNNL_ARG_DIFF_DST, try DNNLMemoryDesc(of: gy), gy.storage.raw),
      (DNNL_ARG_DIFF_WEIGHTS, dwmd, scratch.raw),
    ]
    if let gb { args.append((DNNL_ARG_DIFF_BIAS, try biasDesc(g), gb.storage.raw)) }
    try withExtendedLifetime(scratch) {
      try prim.execute(args)
      if !direct { try dnnlReorder(from: dwmd, scratch.raw, to: plain, gw.storage.raw, op: "conv2d backward weights") }
    }
    return (gw, gb?.convertedUntracked(to: biasType))
  }

  /// The cached forward primitive for `g` (inference or training propagation).
  static func forwardPrimitive(_ g: ConvGeometry, training: Bool) throws -> DNNLPrimitive {
    try DNNLContext.shared.primitive("conv2d.fwd|\(training ? "train" : "infer")|\(g.key)") {
      var src = try DNNLMemoryDesc(g.inputDims, g.dtype.kernelType, tag: dnnl_nhwc).md
      var wei = try DNNLMemoryDesc(g.weightDims, g.dtype.kernelType, tag: dnnl_format_tag_any).md
      let bias = try biasDesc(g).md
      var dst = try DNNLMemoryDesc(g.outputDims, g.dtype.kernelType, tag: dnnl_nhwc).md
      var desc = dnnl_convolution_desc_t()
      try withUnsafePointer(to: bias) { biasPtr in
        try dnnlCheck(
          dnnl_dilated_convolution_forward_desc_init(
            &desc, training ? dnnl_forward_training : dnnl_forward_inference, dnnl_convolution_direct, &src, &wei,
            g.hasBias ? biasPtr : nil, &dst, g.strides64, g.dilation64, g.padding64, g.padding64), "conv2d",
          "dilated_convolution_forward_desc_init")
      }
      return try DNNLPrimitive(op: "conv2d", desc: &desc)
    }
  }

  /// `weight`'s storage seen as the layout and dtype `target` describes: the storage itself
  /// when it already matches, else a reorder made once and cached on that storage (keyed by
  /// the target layout and the source dtype/layout, so fp32 and bf16 uses coexist).
  static func packedWeights(_ weight: Tensor, _ target: DNNLMemoryDesc, _ g: ConvGeometry) throws -> TensorStorage {
    if try weightDesc(weight, g).equals(target) && !weight.needsBF16Rounding(compute: g.dtype) {
      return weight.storage
    }
    let key = "dnnl.conv2d.weights|\(weight.dtype)|\(weight.layout)|\(describe(target))|\(g.dtype)"
    return try weight.kernelCopy(key) {
      let source = weight.roundedForKernel(compute: g.dtype)
      let packed = TensorStorage(byteCount: target.byteSize)
      try dnnlReorder(
        from: weightDesc(source, g), source.storage.raw, to: target, packed.raw, op: "conv2d weight reorder")
      return packed
    }
  }

  /// Descriptor of an OIHW weight tensor as stored, in oneDNN's (grouped) weight dims.
  static func weightDesc(_ weight: Tensor, _ g: ConvGeometry) throws -> DNNLMemoryDesc {
    let s = weight.storageStrides
    let strides = g.groups == 1 ? s : [s[0] * (g.outChannels / g.groups)] + s
    return try DNNLMemoryDesc(g.weightDims, weight.dtype, strides: strides)
  }

  static func biasDesc(_ g: ConvGeometry) throws -> DNNLMemoryDesc {
    try DNNLMemoryDesc([g.outChannels], .float32, tag: dnnl_a)
  }
}
