import AGFASEngine
import AGFASTestSupport
import Foundation
import XCTest

/// `agfas doctor` in a child process, where `ONEDNN_MAX_CPU_ISA` can cap oneDNN: below
/// AVX-512 bf16 is emulated and `--precision auto` picks fp32.
final class DoctorCLITests: XCTestCase {
  func doctorJSON(_ environment: [String: String?] = [:]) throws -> [String: Any] {
    let result = try AgfasCLI.run(["doctor", "--json"], environment: environment)
    XCTAssertEqual(result.status, 0, result.stderr)
    return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
  }

  func testAgreesWithTheLibraryInThisProcess() throws {
    let json = try doctorJSON()
    XCTAssertEqual(json["isa"] as? String, ComputeBackend.isa)
    XCTAssertEqual(json["bf16"] as? String, ComputeBackend.bf16.rawValue)
    XCTAssertEqual(json["auto_precision"] as? String, ComputeBackend.autoPrecision.dtype == .bfloat16 ? "bf16" : "fp32")
    XCTAssertEqual(json["auto_precision_reason"] as? String, ComputeBackend.autoPrecision.reason)
    XCTAssertEqual(json["onednn_version"] as? String, ComputeBackend.oneDNNVersion)
    XCTAssertEqual(json["threads"] as? Int, ComputeBackend.threads)
    for key in ["cpu_model", "isa_cap", "isa_cap_ignored", "omp_wait_policy", "omp_wait_policy_in_effect", "omp_num_threads"] {
      XCTAssertTrue(json.keys.contains(key), key)
    }
  }

  func testCapBelowAVX512EmulatesBF16AndAutoPicksFP32() throws {
    let json = try doctorJSON(["ONEDNN_MAX_CPU_ISA": "AVX2", "DNNL_MAX_CPU_ISA": nil])
    XCTAssertEqual(json["isa_cap"] as? String, "ONEDNN_MAX_CPU_ISA=AVX2")
    XCTAssertFalse((json["isa"] as? String ?? "").contains("AVX-512"), "\(json)")
    XCTAssertEqual(json["bf16"] as? String, "emulated by the engine")
    XCTAssertEqual(json["auto_precision"] as? String, "fp32")
    XCTAssertTrue((json["auto_precision_reason"] as? String ?? "").contains("no AVX512_BF16"), "\(json)")
  }

  /// oneDNN ignores a cap it does not know without a word: doctor must not call it a cap.
  func testUnknownCapIsReportedAsIgnoredNotAsACap() throws {
    let json = try doctorJSON(["ONEDNN_MAX_CPU_ISA": "NOT_A_LEVEL", "DNNL_MAX_CPU_ISA": nil])
    XCTAssertTrue(json["isa_cap"] is NSNull, "\(json)")
    XCTAssertEqual(json["isa_cap_ignored"] as? String, "ONEDNN_MAX_CPU_ISA=NOT_A_LEVEL")
    let text = try AgfasCLI.run(["doctor"], environment: ["ONEDNN_MAX_CPU_ISA": "NOT_A_LEVEL"])
    XCTAssertFalse(text.stdout.contains("capped by"), text.stdout)
    XCTAssertTrue(text.stdout.contains("ONEDNN_MAX_CPU_ISA=NOT_A_LEVEL has no effect"), text.stdout)
  }

  func testTextNamesTheCapAndTheOpenMPSettings() throws {
    let unset = try AgfasCLI.run(
      ["doctor"], environment: ["ONEDNN_MAX_CPU_ISA": "AVX2", "OMP_WAIT_POLICY": nil, "OMP_NUM_THREADS": nil])
    XCTAssertEqual(unset.status, 0, unset.stderr)
    XCTAssertTrue(unset.stdout.contains("capped by ONEDNN_MAX_CPU_ISA=AVX2"), unset.stdout)
    XCTAssertTrue(unset.stdout.contains("--precision auto  fp32 (bf16 would be emulated"), unset.stdout)
    XCTAssertTrue(unset.stdout.contains("OMP_WAIT_POLICY   unset (OpenMP default"), unset.stdout)
    XCTAssertFalse(unset.stdout.contains("OMP_NUM_THREADS"), unset.stdout)
    let set = try AgfasCLI.run(["doctor"], environment: ["OMP_WAIT_POLICY": "ACTIVE", "OMP_NUM_THREADS": "1"])
    XCTAssertTrue(set.stdout.contains("OMP_WAIT_POLICY   ACTIVE\n"), set.stdout)
    XCTAssertTrue(set.stdout.contains("OMP_NUM_THREADS   1"), set.stdout)
  }
}
