import AGFASEngine
import XCTest

/// Runs `body` once per compute type (fp32, bf16) under `ComputeBackend.recordingKernels`, prints
/// the oneDNN implementations it ran, and asserts that some ran (so the check proves something)
/// and that none is a reference kernel (": ref"), naming the offending ones. Run at each
/// `ONEDNN_MAX_CPU_ISA` level: the kernels oneDNN has differ by level.
public func assertNoReferenceKernels(
  _ what: String, file: StaticString = #filePath, line: UInt = #line, _ body: (DType) throws -> Void
) throws {
  for dtype in [DType.float32, .bfloat16] {
    let (_, kernels) = try ComputeBackend.recordingKernels { try body(dtype) }
    print("oneDNN kernels, \(what) in \(dtype) at \(ComputeBackend.isa): \(kernels.sorted())")
    XCTAssertFalse(kernels.isEmpty, "\(what) in \(dtype): no oneDNN primitive ran", file: file, line: line)
    let reference = kernels.filter { $0.contains(": ref") }.sorted()
    XCTAssertEqual(
      reference, [], "\(what) in \(dtype) at \(ComputeBackend.isa): reference kernels \(reference)", file: file,
      line: line)
  }
}
