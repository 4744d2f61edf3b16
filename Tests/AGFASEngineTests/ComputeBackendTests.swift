import AGFASTestSupport
import Foundation
import XCTest

@testable import AGFASEngine

/// `ComputeBackend.autoPrecision`: what `--precision auto` picks. The ISA cap
/// (`ONEDNN_MAX_CPU_ISA`) is read when oneDNN starts, so capped runs are CLI tests.
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
}
