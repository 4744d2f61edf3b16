import AGFASTestSupport
import CDNNL
import Foundation
import XCTest

@testable import AGFASEngine

/// `ComputeBackend.autoPrecision` (what `--precision auto` picks) and the messages oneDNN
/// failures become. The ISA cap (`ONEDNN_MAX_CPU_ISA`) is read when oneDNN starts, so the
/// capped runs go through `agfas doctor` in a child process.
final class ComputeBackendTests: XCTestCase {
  func testAutoPrecisionIsBF16ExactlyWhereBF16IsNative() {
    let choice = ComputeBackend.autoPrecision
    XCTAssertEqual(choice.dtype, ComputeBackend.bf16 == .native ? .bfloat16 : .float32, choice.reason)
    XCTAssertTrue(choice.reason.contains(ComputeBackend.isa), choice.reason)
  }

  func testAutoPrecisionReasonsNameTheLevelAndTheEmulation() {
    let native = ComputeBackend.autoPrecision(bf16: .native, isa: "AVX-512 with bf16 (AVX512_CORE_BF16)")
    XCTAssertEqual(native.dtype, .bfloat16)
    XCTAssertEqual(native.reason, "this CPU has native bf16: AVX-512 with bf16 (AVX512_CORE_BF16)")
    let engine = ComputeBackend.autoPrecision(bf16: .engineEmulated, isa: "AVX2")
    XCTAssertEqual(engine.dtype, .float32)
    XCTAssertEqual(engine.reason, "bf16 would be emulated by the engine here: no AVX512_BF16 at AVX2")
    let oneDNN = ComputeBackend.autoPrecision(bf16: .oneDNNEmulated, isa: "AVX-512 (AVX512_CORE)")
    XCTAssertEqual(oneDNN.dtype, .float32)
    XCTAssertEqual(oneDNN.reason, "bf16 would be emulated by oneDNN here: no AVX512_BF16 at AVX-512 (AVX512_CORE)")
  }

  func testISANamesCarryTheCapsSpelling() {
    XCTAssertEqual(ComputeBackend.isaName("cpu_isa_avx2"), "AVX2")
    XCTAssertEqual(ComputeBackend.isaName("cpu_isa_avx512_core_bf16"), "AVX-512 with bf16 (AVX512_CORE_BF16)")
    XCTAssertEqual(ComputeBackend.isaName("cpu_isa_avx512_core_amx"), "AVX-512 with bf16 and AMX (AVX512_CORE_AMX)")
    XCTAssertEqual(ComputeBackend.isaName("Intel AVX2"), "Intel AVX2")
  }

  /// dnnl_unimplemented (status 3) from primitive creation: the op, the dtype, the level and
  /// what to do, never the bare number.
  func testNoKernelMessageNamesTheOpDTypeLevelAndRemedy() {
    let bf16 = BackendFailure(
      op: "conv2d backward data", call: "primitive_desc_create", reason: .init(oneDNNStatus: 3), dataType: "bf16",
      isa: "AVX2", isaCap: nil)
    XCTAssertEqual(
      TensorError.backend(bf16).description,
      "conv2d backward data: oneDNN has no bf16 kernel for this op on this CPU at ISA level AVX2; use --precision fp32")

    let capped = BackendFailure(
      op: "matmul", call: "primitive_desc_create", reason: .noKernel, dataType: "fp32", isa: "SSE4.1 (SSE41)",
      isaCap: "ONEDNN_MAX_CPU_ISA=SSE41")
    XCTAssertEqual(
      capped.description,
      "matmul: oneDNN has no fp32 kernel for this op on this CPU at ISA level SSE4.1 (SSE41), capped by "
        + "ONEDNN_MAX_CPU_ISA=SSE41; unset ONEDNN_MAX_CPU_ISA to let oneDNN use all of the CPU")

    // As the engine builds it: the level read from oneDNN.
    let live = TensorError.backend(
      backendFailure(dnnl_unimplemented, "softmax", "primitive_desc_create", dataType: "bf16"))
    let message = live.description
    XCTAssertTrue(message.hasPrefix("softmax: oneDNN has no bf16 kernel"), message)
    XCTAssertTrue(message.contains("at ISA level \(ComputeBackend.isa)"), message)
    XCTAssertFalse(message.contains("status"), message)
    XCTAssertNil(message.range(of: #"\b3\b"#, options: .regularExpression), message)
  }

  func testOtherStatusesAreWords() {
    for (status, words) in [
      (dnnl_out_of_memory, "out of memory"), (dnnl_invalid_arguments, "invalid arguments"),
      (dnnl_runtime_error, "runtime error"),
    ] {
      let message = backendFailure(status, "conv2d", "primitive_execute", dataType: "fp32").description
      XCTAssertTrue(message.hasPrefix("conv2d: "), message)
      XCTAssertTrue(message.contains(words), message)
      XCTAssertNil(message.dropFirst("conv2d".count).range(of: #"[0-9]"#, options: .regularExpression), message)
    }
    let odd = backendFailure(dnnl_iterator_ends, "pooling", "primitive_desc_create", dataType: nil).description
    XCTAssertTrue(odd.contains("(oneDNN status 4)"), odd)
  }

  /// A primitive oneDNN refuses reports its dtype from the op descriptor: a bf16 eltwise with
  /// an fp32 gradient still names bf16 (computeTypeName prefers bf16).
  func testDataTypesAreReadFromTheOpDescriptor() throws {
    var desc = dnnl_eltwise_desc_t()
    var data = try DNNLMemoryDesc([4, 4], .bfloat16, tag: dnnl_ab).md
    XCTAssertEqual(
      dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_training, dnnl_eltwise_relu, &data, 0, 0), dnnl_success)
    let types = withUnsafePointer(to: &desc) { dataTypes(ofOpDesc: UnsafeRawPointer($0)) }
    XCTAssertEqual(computeTypeName(types), "bf16")
    XCTAssertEqual(computeTypeName([dnnl_f32, dnnl_data_type_undef]), "fp32")
    XCTAssertNil(computeTypeName([]))
  }
}
