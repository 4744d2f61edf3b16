import AGFASEngine
import XCTest

/// The largest elementwise distance of `x` from `exact`, relative to the largest |exact|: a
/// summation-order error spreads over a tensor's scale, not each element's own size, so an
/// element near zero (a cancelling sum) is measured against the terms that cancelled.
public func scaledError(_ x: Tensor, from exact: Tensor) -> Double {
  let (a, e) = (x.toArray(), exact.toArray())
  let scale = e.reduce(0) { max($0, Double(abs($1))) }
  var worst = 0.0
  for i in a.indices { worst = max(worst, abs(Double(a[i]) - Double(e[i])) / max(scale, 1e-30)) }
  return a.contains { $0.isNaN } ? .infinity : worst
}

/// Asserts that `actual` (AGFAS in fp32) is no further from the fp64 result `exact` than
/// `factor` times PyTorch's fp32 result `torch` is, or than `floor` (16 fp32 ulps of the
/// scale, for small tensors where PyTorch happens to land on the fp64 value). Two correct fp32 implementations differ only in
/// their summation orders, which change with the CPU's kernels (AVX2 blocks differently from
/// AVX-512); their errors are of the same size. A wiring bug is orders of magnitude larger.
/// The fp64 results come from scripts/make_fp64_references.py (docs/engine.md, "Tolerances").
public func assertWithinReferenceError(
  _ actual: Tensor, torch: Tensor, exact: Tensor, factor: Double = 4, floor: Double = 16 * Double(Float.ulpOfOne),
  _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.shape, exact.shape, "\(what): shape", file: file, line: line)
  XCTAssertEqual(torch.shape, exact.shape, "\(what): PyTorch's shape", file: file, line: line)
  guard actual.shape == exact.shape, torch.shape == exact.shape else { return }
  let ours = scaledError(actual, from: exact)
  let theirs = scaledError(torch, from: exact)
  let bound = max(factor * theirs, floor)
  XCTAssertLessThanOrEqual(
    ours, bound,
    "\(what): \(ours) from fp64 (scaled), PyTorch fp32 \(theirs); bound \(bound) = max(\(factor)x, \(floor))",
    file: file, line: line)
}
