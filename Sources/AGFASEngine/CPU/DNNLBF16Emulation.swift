import CDNNL

// bf16 on CPUs without bf16 kernels.
//
// oneDNN 2.6 builds no bf16 primitive below AVX-512 (every bf16 kernel, its reference ones
// included, checks for avx512_core), so on AVX2 CPUs a bf16 model would not run at all. There
// the engine builds each bf16 primitive in fp32 and converts its bf16 arguments when it runs:
// inputs widen exactly, the kernel accumulates in fp32, outputs round once to bf16 (nearest
// even). That is what oneDNN's bf16 kernels compute too (bf16 in, fp32 accumulation, bf16
// out); only the order of summation differs. Weights stored in fp32 are rounded to bf16
// before they are packed, as the native path packs them in bf16.

/// Whether oneDNN builds bf16 primitives on this CPU (at the level ONEDNN_MAX_CPU_ISA allows):
/// probed once with the three primitive kinds the models need most.
func oneDNNHasBF16Kernels(_ engine: dnnl_engine_t) -> Bool {
  func creates(_ make: (inout dnnl_primitive_desc_t?) -> dnnl_status_t) -> Bool {
    var pd: dnnl_primitive_desc_t?
    let status = make(&pd)
    if let pd { dnnl_primitive_desc_destroy(pd) }
    return status == dnnl_success
  }
  guard let row = try? DNNLMemoryDesc([16, 16], .bfloat16, tag: dnnl_ab).md,
    let image = try? DNNLMemoryDesc([1, 16, 4, 4], .bfloat16, tag: dnnl_nhwc).md,
    let kernel = try? DNNLMemoryDesc([16, 16, 1, 1], .bfloat16, tag: dnnl_format_tag_any).md
  else { return false }
  let eltwise = creates { pd in
    var desc = dnnl_eltwise_desc_t()
    var data = row
    guard dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_training, dnnl_eltwise_relu, &data, 0, 0) == dnnl_success
    else { return dnnl_unimplemented }
    return dnnl_primitive_desc_create(&pd, &desc, nil, engine, nil)
  }
  let matmul = creates { pd in
    var desc = dnnl_matmul_desc_t()
    var (a, b, c, bias) = (row, row, row, dnnl_memory_desc_t())
    guard dnnl_matmul_desc_init(&desc, &a, &b, &bias, &c) == dnnl_success else { return dnnl_unimplemented }
    return dnnl_primitive_desc_create(&pd, &desc, nil, engine, nil)
  }
  let conv = creates { pd in
    var desc = dnnl_convolution_desc_t()
    var (src, wei, dst) = (image, kernel, image)
    let ones: [Int64] = [1, 1]
    let zeros: [Int64] = [0, 0]
    guard
      dnnl_convolution_forward_desc_init(
        &desc, dnnl_forward_training, dnnl_convolution_direct, &src, &wei, nil, &dst, ones, zeros, zeros)
        == dnnl_success
    else { return dnnl_unimplemented }
    return dnnl_primitive_desc_create(&pd, &desc, nil, engine, nil)
  }
  return eltwise && matmul && conv
}

extension DType {
  /// The dtype primitives are built in for this compute dtype: fp32 for bf16 where the CPU
  /// has no bf16 kernels.
  var kernelType: DType {
    self == .bfloat16 && DNNLContext.shared.emulatesBF16 ? .float32 : self
  }
}

extension DNNLMemoryDesc {
  /// This descriptor as a primitive is built with it: bf16 becomes fp32 (same dims and
  /// strides, which count elements) where the CPU has no bf16 kernels.
  var kernel: DNNLMemoryDesc {
    guard md.data_type == dnnl_bf16, DNNLContext.shared.emulatesBF16 else { return self }
    var m = md
    m.data_type = dnnl_f32
    return DNNLMemoryDesc(raw: m)
  }
}

extension Tensor {
  /// Whether a primitive computing in `compute` must read this weight rounded to bf16 first:
  /// an fp32 weight where bf16 is emulated, so the fp32 kernel sees what a bf16 kernel would.
  func needsBF16Rounding(compute: DType) -> Bool {
    compute == .bfloat16 && dtype == .float32 && DNNLContext.shared.emulatesBF16
  }

  /// This weight as a primitive computing in `compute` reads it (see `needsBF16Rounding`).
  func roundedForKernel(compute: DType) -> Tensor {
    needsBF16Rounding(compute: compute) ? convertedUntracked(to: .bfloat16) : self
  }
}

extension DNNLPrimitive {
  /// Runs a primitive built in fp32 on bf16 arguments: every argument whose descriptor
  /// differs from the one the primitive expects goes through an fp32 scratch buffer, read
  /// into it before (inputs) or written back from it after (outputs) the run.
  func executeConvertingBF16(_ args: [(Int32, DNNLMemoryDesc, UnsafeMutableRawPointer)], caller: String?) throws {
    let op = caller ?? op
    var converted = args
    var writeBack: [(scratch: TensorStorage, from: DNNLMemoryDesc, to: DNNLMemoryDesc, ptr: UnsafeMutableRawPointer)] =
      []
    var scratches: [TensorStorage] = []
    for (i, (arg, desc, ptr)) in args.enumerated() where desc.md.data_type == dnnl_bf16 {
      let expected = md(dnnl_query_exec_arg_md, arg)
      if expected.equals(desc) { continue }
      let scratch = TensorStorage(byteCount: expected.byteSize)
      scratches.append(scratch)
      if writes(arg) {
        writeBack.append((scratch, expected, desc, ptr))
      } else if desc.kernel.equals(expected) {
        widenBF16(ptr, into: scratch.raw, count: expected.byteSize / 4)
      } else {
        try dnnlReorder(from: desc, ptr, to: expected, scratch.raw, op: op)
      }
      converted[i] = (arg, expected, scratch.raw)
    }
    try withExtendedLifetime(scratches) {
      try run(converted, caller: op)
      for w in writeBack {
        if w.to.kernel.equals(w.from) {
          narrowToBF16(w.scratch.raw, into: w.ptr, count: w.from.byteSize / 4)
        } else {
          try dnnlReorder(from: w.from, w.scratch.raw, to: w.to, w.ptr, op: op)
        }
      }
    }
  }

  /// Whether the primitive writes argument `arg`: the gradients, and the destination of a
  /// forward primitive (a backward one reads the forward output there).
  private func writes(_ arg: Int32) -> Bool {
    switch arg {
    case DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS: return true
    case DNNL_ARG_DST: return !isBackward
    default: return false
    }
  }

  private var isBackward: Bool {
    var prop = dnnl_prop_kind_undef
    _ = dnnl_primitive_desc_query(pd, dnnl_query_prop_kind, 0, &prop)
    return [dnnl_backward, dnnl_backward_data, dnnl_backward_weights, dnnl_backward_bias].contains(prop)
  }
}
