import CDNNL
import Foundation
import Synchronization

/// The process-wide oneDNN CPU engine and stream, and a cache of primitives by description.
///
/// oneDNN picks AMX, AVX-512 or AVX2 kernels at run time, so one binary runs on any x86-64
/// machine. Primitive creation (JIT code generation) is slow, so primitives are built once per
/// shape/type/attribute key and reused.
final class DNNLContext: @unchecked Sendable {
  static let shared = DNNLContext()

  let engine: dnnl_engine_t
  let stream: dnnl_stream_t
  /// Whether bf16 primitives are built in fp32 and fed converted arguments, because oneDNN
  /// has no bf16 kernels for this CPU (or for the level `ONEDNN_MAX_CPU_ISA` caps it at):
  /// see `DNNLBF16Emulation.swift`.
  let emulatesBF16: Bool
  private let cache = Mutex<[String: DNNLPrimitive]>([:])

  private init() {
    var engine: dnnl_engine_t?
    var stream: dnnl_stream_t?
    let s1 = dnnl_engine_create(&engine, dnnl_cpu, 0)
    precondition(
      s1 == dnnl_success,
      "oneDNN: could not create the CPU engine: \(BackendFailure.Reason(oneDNNStatus: Int(s1.rawValue)).words)")
    let s2 = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue)
    precondition(
      s2 == dnnl_success,
      "oneDNN: could not create a stream: \(BackendFailure.Reason(oneDNNStatus: Int(s2.rawValue)).words)")
    self.engine = engine!
    self.stream = stream!
    emulatesBF16 = !oneDNNHasBF16Kernels(engine!)
  }

  /// The cached primitive for `key`, built by `make` on first use.
  func primitive(_ key: String, make: () throws -> DNNLPrimitive) throws -> DNNLPrimitive {
    if let p = cache.withLock({ $0[key] }) { return p }
    let p = try make()
    cache.withLock { $0[key] = p }
    return p
  }
}

/// Throws a `TensorError.backend` naming the op, the oneDNN call, the data type (`dataType`:
/// "bf16", "fp32", worked out only on failure) and the instruction-set level when `status` is an
/// error.
@inline(__always)
func dnnlCheck(
  _ status: dnnl_status_t, _ op: String, _ call: String, dataType: @autoclosure () -> String? = nil
) throws {
  if status != dnnl_success {
    throw TensorError.backend(backendFailure(status, op, call, dataType: dataType()))
  }
}

/// The failure `dnnlCheck` throws, with the level oneDNN runs at and its cap read now.
func backendFailure(_ status: dnnl_status_t, _ op: String, _ call: String, dataType: String?) -> BackendFailure {
  BackendFailure(
    op: op, call: call, reason: .init(oneDNNStatus: Int(status.rawValue)), dataType: dataType,
    isa: ComputeBackend.isa, isaCap: ComputeBackend.isaCap.map { "\($0.variable)=\($0.value)" })
}

/// The data type a primitive computes in, for messages: bf16 if any of `types` is bf16, else
/// fp32 if any is fp32.
func computeTypeName(_ types: [dnnl_data_type_t]) -> String? {
  if types.contains(dnnl_bf16) { return "bf16" }
  if types.contains(dnnl_f32) { return "fp32" }
  return nil
}

/// The data types of the memory descriptors in an op descriptor (`desc` points at a
/// dnnl_*_desc_t, which all begin with their primitive kind): for error messages.
func dataTypes(ofOpDesc desc: UnsafeRawPointer) -> [dnnl_data_type_t] {
  func types<D>(_ type: D.Type, _ fields: (D) -> [dnnl_memory_desc_t]) -> [dnnl_data_type_t] {
    fields(desc.assumingMemoryBound(to: D.self).pointee).map(\.data_type)
  }
  switch desc.load(as: dnnl_primitive_kind_t.self) {
  case dnnl_convolution:
    return types(dnnl_convolution_desc_t.self) {
      [$0.src_desc, $0.diff_src_desc, $0.weights_desc, $0.diff_weights_desc, $0.dst_desc, $0.diff_dst_desc]
    }
  case dnnl_matmul: return types(dnnl_matmul_desc_t.self) { [$0.src_desc, $0.weights_desc, $0.dst_desc] }
  case dnnl_eltwise: return types(dnnl_eltwise_desc_t.self) { [$0.data_desc, $0.diff_data_desc] }
  case dnnl_pooling_v2:
    return types(dnnl_pooling_v2_desc_t.self) { [$0.src_desc, $0.diff_src_desc, $0.dst_desc, $0.diff_dst_desc] }
  case dnnl_softmax_v2:
    return types(dnnl_softmax_v2_desc_t.self) { [$0.src_desc, $0.diff_src_desc, $0.dst_desc, $0.diff_dst_desc] }
  default: return []
  }
}

/// A oneDNN memory descriptor built from dims, a data type and a format tag or strides.
struct DNNLMemoryDesc {
  var md = dnnl_memory_desc_t()

  init(_ dims: [Int], _ dtype: DType, tag: dnnl_format_tag_t) throws {
    let d = dims.map(Int64.init)
    try dnnlCheck(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, dtype.dnnl, tag), "memory desc", "init_by_tag")
  }

  init(_ dims: [Int], _ dtype: DType, strides: [Int]) throws {
    let d = dims.map(Int64.init)
    let s = strides.map(Int64.init)
    try dnnlCheck(
      dnnl_memory_desc_init_by_strides(&md, Int32(d.count), d, dtype.dnnl, s), "memory desc", "init_by_strides")
  }

  init(raw: dnnl_memory_desc_t) { md = raw }

  /// Descriptor of a tensor as it is stored (honours channelsLast).
  init(of t: Tensor) throws {
    try self.init(t.shape, t.dtype, layout: t.layout)
  }

  init(_ dims: [Int], _ dtype: DType, layout: Layout) throws {
    switch layout {
    case .rowMajor: try self.init(dims, dtype, strides: Shape.strides(dims))
    case .channelsLast: try self.init(dims, dtype, tag: dnnl_nhwc)
    }
  }

  /// Bytes needed to hold memory in this format (blocked formats may pad).
  var byteSize: Int {
    var m = md
    return Int(dnnl_memory_desc_get_size(&m))
  }

  func equals(_ other: DNNLMemoryDesc) -> Bool {
    var a = md
    var b = other.md
    return dnnl_memory_desc_equal(&a, &b) != 0
  }
}

extension DType {
  var dnnl: dnnl_data_type_t {
    switch self {
    case .float32: dnnl_f32
    case .bfloat16: dnnl_bf16
    }
  }
}

/// A built primitive and its descriptor; destroyed with the cache (i.e. never, in practice).
final class DNNLPrimitive: @unchecked Sendable {
  let pd: dnnl_primitive_desc_t
  let primitive: dnnl_primitive_t
  let op: String

  /// Builds a primitive from an op descriptor (`desc` points at a dnnl_*_desc_t).
  init(
    op: String, desc: UnsafeRawPointer, attr: dnnl_primitive_attr_t? = nil,
    hint: DNNLPrimitive? = nil
  ) throws {
    let ctx = DNNLContext.shared
    var pd: dnnl_primitive_desc_t?
    try dnnlCheck(
      dnnl_primitive_desc_create(&pd, desc, attr, ctx.engine, hint?.pd), op, "primitive_desc_create",
      dataType: computeTypeName(dataTypes(ofOpDesc: desc)))
    var prim: dnnl_primitive_t?
    try dnnlCheck(dnnl_primitive_create(&prim, pd), op, "primitive_create")
    self.pd = pd!
    self.primitive = prim!
    self.op = op
  }

  /// Builds a primitive from an already created primitive descriptor (reorder, concat, sum).
  init(op: String, pd: dnnl_primitive_desc_t) throws {
    var prim: dnnl_primitive_t?
    try dnnlCheck(dnnl_primitive_create(&prim, pd), op, "primitive_create")
    self.pd = pd
    self.primitive = prim!
    self.op = op
  }

  /// The memory descriptor the primitive chose for `query` (e.g. `dnnl_query_weights_md`).
  func md(_ query: dnnl_query_t, _ index: Int32 = 0) -> DNNLMemoryDesc {
    DNNLMemoryDesc(raw: dnnl_primitive_desc_query_md(pd, query, index).pointee)
  }

  /// Runs the primitive on raw buffers: each argument is (DNNL_ARG_*, descriptor, pointer).
  /// Arguments given in bf16 to a primitive built in fp32 (bf16 emulation) are converted.
  /// `caller` names the op in `ComputeBackend.recordingKernels` where it is not the one that
  /// built the primitive (a cached reorder serves many ops).
  func execute(_ args: [(Int32, DNNLMemoryDesc, UnsafeMutableRawPointer)], caller: String? = nil) throws {
    if DNNLContext.shared.emulatesBF16 && args.contains(where: { $0.1.md.data_type == dnnl_bf16 }) {
      try executeConvertingBF16(args, caller: caller)
    } else {
      try run(args, caller: caller)
    }
  }

  func run(_ args: [(Int32, DNNLMemoryDesc, UnsafeMutableRawPointer)], caller: String? = nil) throws {
    if ComputeBackend.recording.load(ordering: .relaxed) {
      let entry = "\(caller ?? op): \(implementation)"
      ComputeBackend.kernelLog.withLock { _ = $0.insert(entry) }
    }
    let ctx = DNNLContext.shared
    var mems: [dnnl_memory_t?] = []
    defer { for m in mems { dnnl_memory_destroy(m) } }
    var execArgs: [dnnl_exec_arg_t] = []
    for (arg, desc, ptr) in args {
      var md = desc.md
      var mem: dnnl_memory_t?
      try dnnlCheck(dnnl_memory_create(&mem, &md, ctx.engine, ptr), op, "memory_create")
      mems.append(mem)
      execArgs.append(dnnl_exec_arg_t(arg: arg, memory: mem))
    }
    try dnnlCheck(
      dnnl_primitive_execute(primitive, ctx.stream, Int32(execArgs.count), execArgs), op, "primitive_execute")
    try dnnlCheck(dnnl_stream_wait(ctx.stream), op, "stream_wait")
  }

  /// Whether oneDNN fell back to a reference (plain C++, unvectorised) implementation.
  var isReference: Bool { implementation.hasPrefix("ref") }

  /// The implementation oneDNN picked (e.g. "brgconv:avx512_core_amx_bf16").
  var implementation: String {
    var name: UnsafePointer<CChar>?
    _ = withUnsafeMutablePointer(to: &name) {
      dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, $0)
    }
    return name.map { String(cString: $0) } ?? "?"
  }
}

/// Copies memory between two descriptors (layout and/or dtype change) with a cached reorder.
func dnnlReorder(
  from src: DNNLMemoryDesc, _ srcPtr: UnsafeMutableRawPointer,
  to dst: DNNLMemoryDesc, _ dstPtr: UnsafeMutableRawPointer, op: String
) throws {
  let key = "reorder|\(describe(src))|\(describe(dst))"
  let prim = try DNNLContext.shared.primitive(key) {
    let ctx = DNNLContext.shared
    var pd: dnnl_primitive_desc_t?
    var s = src.md
    var d = dst.md
    try dnnlCheck(
      dnnl_reorder_primitive_desc_create(&pd, &s, ctx.engine, &d, ctx.engine, nil), op, "reorder_primitive_desc_create",
      dataType: computeTypeName([s.data_type, d.data_type]))
    return try DNNLPrimitive(op: op, pd: pd!)
  }
  try prim.execute([(DNNL_ARG_FROM, src, srcPtr), (DNNL_ARG_TO, dst, dstPtr)], caller: op)
}

/// A cache key for a memory descriptor: its raw bytes (dims, type, format, strides/blocking).
func describe(_ desc: DNNLMemoryDesc) -> String {
  let md = desc.md
  var h = Hasher()
  withUnsafeBytes(of: md) { h.combine(bytes: $0) }
  let dims = withUnsafeBytes(of: md.dims) { raw in
    (0..<Int(md.ndims)).map { raw.load(fromByteOffset: $0 * 8, as: Int64.self) }
  }
  return "\(dims)/\(md.data_type.rawValue)/\(h.finalize())"
}
