import AGFASEngine
import AGFASTestSupport
import XCTest

/// mean, variance, standardDeviation, max/min (amax/amin) and argmax against PyTorch: values
/// and gradients over single, multiple and negative axes, with and without keepDims.
final class ReductionTests: XCTestCase {
  let fx = try! Fixture("reductions")

  /// Runs `op` on the case's input (as `dtype`) and compares output and input gradient.
  func check(
    _ c: FixtureCase, dtype: DType = .float32, rtol: Float = 1e-5, atol: Float = 1e-6,
    _ op: (Tensor) throws -> Tensor
  ) throws {
    let x = try c.input("x").converted(to: dtype).requiringGrad()
    let out = try op(x)
    XCTAssertEqual(out.dtype, dtype, c.name)
    assertClose(out, try c.output, rtol: rtol, atol: atol, "\(c.name) out")
    try out.backward(c.gradOutput)
    assertClose(x.grad!, try c.grad("x"), rtol: rtol, atol: atol, "\(c.name) grad")
  }

  func testMeanOverAxesWithKeepDimsMatchesTorch() throws {
    for name in fx.cases where name.hasPrefix("mean_") && !name.hasSuffix("bf16") && name.last!.isNumber {
      let c = try fx.case(name)
      try check(c) { try $0.mean(axes: c.ints("axes"), keepDims: c.bool("keepDims")) }
    }
    try check(fx.case("mean_all")) { try $0.mean() }
    // 4096-element runs: fp64 accumulation vs torch's fp32 pairwise sum, a few ulps apart.
    try check(fx.case("mean_long"), rtol: 2e-5) { try $0.mean(axes: [1]) }
  }

  func testVarianceAndStdUnbiasedAndBiasedMatchTorch() throws {
    for op in ["var", "std"] {
      for name in fx.cases where name.hasPrefix("\(op)_") && !name.hasSuffix("bf16") {
        let c = try fx.case(name)
        let (axes, keep, unbiased) = (c.ints("axes"), c.bool("keepDims"), c.bool("unbiased"))
        let whole = name.contains("_all_")
        try check(c) { x in
          switch (op, whole) {
          case ("var", true): try x.variance(unbiased: unbiased)
          case ("var", false): try x.variance(axes: axes, unbiased: unbiased, keepDims: keep)
          case (_, true): try x.standardDeviation(unbiased: unbiased)
          default: try x.standardDeviation(axes: axes, unbiased: unbiased, keepDims: keep)
          }
        }
      }
    }
  }

  func testMaxMinSplitTheGradientAmongTiesLikeAmax() throws {
    for op in ["max", "min"] {
      for name in fx.cases where name.hasPrefix("\(op)_") && !name.hasSuffix("bf16") && name.last!.isNumber {
        let c = try fx.case(name)
        let (axes, keep) = (c.ints("axes"), c.bool("keepDims"))
        try check(c) { op == "max" ? try $0.max(axes: axes, keepDims: keep) : try $0.min(axes: axes, keepDims: keep) }
      }
    }
    try check(fx.case("max_all")) { try $0.max() }
    try check(fx.case("min_all")) { try $0.min() }
  }

  func testBF16ReductionsComputeInFP32AndRoundOnce() throws {
    // Both sides compute in fp32 and round once (var/std gradients round at the same composite
    // steps as torch's): bit-equal today; one bf16 ulp (2^-8 relative) allows for summation order.
    let (rtol, atol): (Float, Float) = (4e-3, 1e-5)
    try check(fx.case("mean_bf16"), dtype: .bfloat16, rtol: rtol, atol: atol) { try $0.mean(axes: [0, 2]) }
    try check(fx.case("var_bf16"), dtype: .bfloat16, rtol: rtol, atol: atol) { try $0.variance(axes: [2]) }
    try check(fx.case("std_bf16"), dtype: .bfloat16, rtol: rtol, atol: atol) {
      try $0.standardDeviation(axes: [2])
    }
    try check(fx.case("max_bf16"), dtype: .bfloat16, rtol: 0, atol: 0) { try $0.max(axes: [1]) }
    try check(fx.case("min_bf16"), dtype: .bfloat16, rtol: 0, atol: 0) { try $0.min(axes: [1]) }
  }

  func testArgmaxReturnsFirstMaximumIndexAsFP32() throws {
    for name in ["argmax_1", "argmax_m1"] {
      let c = try fx.case(name)
      let out = try c.input("x").argmax(axis: c.int("axis"))
      XCTAssertEqual(out.dtype, .float32)
      XCTAssertFalse(out.requiresGrad)
      assertClose(out, try c.output, rtol: 0, atol: 0, name)
    }
    let kept = try fx.case("argmax_1").input("x").argmax(axis: 1, keepDims: true)
    XCTAssertEqual(kept.shape, [3, 1, 5])
    // NaN counts as the maximum, as in torch.
    XCTAssertEqual(try Tensor([1, .nan, 5, .nan], shape: [4]).argmax(axis: 0).item(), 1)
  }

  func testChannelsLastInputsReduceLikeRowMajor() throws {
    let c = try fx.case("mean_0_2_1")
    try check(c) { try $0.channelsLast().mean(axes: [0, 2], keepDims: true) }
    let v = try fx.case("var_2_3_0_u")
    try check(v) { try $0.channelsLast().variance(axes: [2, 3]) }
    let m = try fx.case("max_1_0")
    let x = try m.input("x").reshaped([3, 4, 5, 1]).channelsLast().requiringGrad()
    let out = try x.max(axes: [1])
    assertClose(try out.reshaped([3, 5]), try m.output, "channelsLast max")
  }

  func testNaNPropagatesThroughMaxAndMin() throws {
    let x = try Tensor([1, .nan, 3, 4], shape: [2, 2])
    XCTAssertTrue(try x.max(axes: [1]).toArray()[0].isNaN)
    XCTAssertEqual(try x.min(axes: [1]).toArray()[1], 3)
    XCTAssertTrue(try x.min().item().isNaN)
  }

  func testBadAxesThrowNamingTheOpAndShape() throws {
    let x = Tensor.zeros([2, 3])
    XCTAssertThrowsError(try x.mean(axes: [2])) { e in
      XCTAssertEqual("\(e)", "mean: axis 2 is out of range for shape [2, 3]")
    }
    XCTAssertThrowsError(try x.variance(axes: [1, -1])) { e in
      XCTAssertEqual("\(e)", "variance: axis -1 appears more than once in [1, -1] for shape [2, 3]")
    }
    XCTAssertThrowsError(try x.standardDeviation(axes: [-3])) { e in
      XCTAssertTrue("\(e)".hasPrefix("standardDeviation: axis -3"), "\(e)")
    }
    XCTAssertThrowsError(try Tensor.zeros([2, 0]).max(axes: [1])) { e in
      XCTAssertEqual("\(e)", "max: cannot reduce over an empty axis of shape [2, 0]")
    }
    XCTAssertThrowsError(try x.argmax(axis: 5)) { e in
      XCTAssertEqual("\(e)", "argmax: axis 5 is out of range for shape [2, 3]")
    }
  }
}
