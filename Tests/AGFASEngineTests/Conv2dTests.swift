import AGFASEngine
import AGFASTestSupport
import XCTest

/// conv2d against PyTorch's F.conv2d: outputs and input/weight/bias gradients, fp32 and bf16,
/// both input layouts, plus validation messages and the cached weight reorder.
final class Conv2dTests: XCTestCase {
  let fx = try! Fixture("conv")

  func pair(_ c: FixtureCase, _ key: String) -> (Int, Int) {
    let v = c.ints(key)
    return (v[0], v[1])
  }

  func conv(_ c: FixtureCase, _ x: Tensor, _ w: Tensor, _ b: Tensor?) throws -> Tensor {
    try x.conv2d(
      weight: w, bias: b, stride: pair(c, "stride"), padding: pair(c, "padding"), dilation: pair(c, "dilation"),
      groups: c.int("groups"))
  }

  /// Runs one case with the input in `layout` and all operands in `dtype`; checks the output
  /// and every gradient.
  func check(_ c: FixtureCase, layout: Layout, dtype: DType, rtol: Float, atol: Float) throws {
    let what = "\(c.name) \(layout)"
    let x = try c.input("x").converted(to: dtype).relaid(layout).requiringGrad()
    let w = try c.input("w").converted(to: dtype).requiringGrad()
    let b = c.has("in.b") ? try c.input("b").converted(to: dtype).requiringGrad() : nil
    let out = try conv(c, x, w, b)
    XCTAssertEqual(out.layout, .channelsLast, what)
    XCTAssertEqual(out.dtype, dtype, what)
    assertClose(out, try c.output, rtol: rtol, atol: atol, "\(what) out")
    try out.backward(c.gradOutput)
    XCTAssertEqual(x.grad?.layout, .channelsLast, what)
    XCTAssertEqual(w.grad?.layout, .rowMajor, what)
    XCTAssertEqual(w.grad?.dtype, dtype, what)
    assertClose(x.grad!, try c.grad("x"), rtol: rtol, atol: atol, "\(what) grad x")
    assertClose(w.grad!, try c.grad("w"), rtol: rtol, atol: atol, "\(what) grad w")
    if let b { assertClose(b.grad!, try c.grad("b"), rtol: rtol, atol: atol, "\(what) grad b") }
  }

  func testFP32OutputsAndGradientsMatchTorchForBothInputLayouts() throws {
    try forEachCase(fx, prefix: "f32_") { c in
      for layout in [Layout.rowMajor, .channelsLast] {
        try check(c, layout: layout, dtype: .float32, rtol: 1e-5, atol: 1e-6)
      }
    }
  }

  func testBF16OutputsAndGradientsMatchTorchBF16() throws {
    // Both sides accumulate in fp32 and round once to bf16 (one ulp = 2^-8 relative, 3.9e-3):
    // allow two ulps for rounding flips caused by a different summation order.
    try forEachCase(fx, prefix: "bf16_") { c in
      for layout in [Layout.rowMajor, .channelsLast] {
        try check(c, layout: layout, dtype: .bfloat16, rtol: 8e-3, atol: 2e-3)
      }
    }
  }

  func testBF16InputWithFP32WeightComputesInBF16() throws {
    let c = try fx.case("bf16_basic3x3")
    // The fixture's fp32 weight holds bf16-exact values, so converting it changes nothing.
    let x = try c.input("x").converted(to: .bfloat16)
    let out = try conv(c, x, try c.input("w"), try c.input("b"))
    XCTAssertEqual(out.dtype, .bfloat16)
    assertClose(out, try c.output, rtol: 8e-3, atol: 2e-3, "mixed dtypes")
  }

  func testFrozenWeightGivesOnlyInputAndBiasGradients() throws {
    let c = try fx.case("f32_groups2")
    let x = try c.input("x").requiringGrad()
    let w = try c.input("w")
    let b = try c.input("b").requiringGrad()
    let out = try conv(c, x, w, b)
    try out.backward(c.gradOutput)
    assertClose(x.grad!, try c.grad("x"), "grad x")
    assertClose(b.grad!, try c.grad("b"), "grad b")
    XCTAssertNil(w.grad)
  }

  func testInferenceWithoutGradMatchesAndRecordsNothing() throws {
    let c = try fx.case("f32_stride2")
    let w = try c.input("w").requiringGrad()
    let out = try withoutGrad { try conv(c, try c.input("x"), w, try c.input("b")) }
    XCTAssertFalse(out.requiresGrad)
    assertClose(out, try c.output, "inference")
  }

  func testChannelsLastGroupedWeightMatchesTorch() throws {
    let c = try fx.case("f32_groups2")
    let w = try c.input("w").channelsLast().requiringGrad()
    let out = try conv(c, try c.input("x"), w, try c.input("b"))
    assertClose(out, try c.output, "out")
    try out.backward(c.gradOutput)
    assertClose(w.grad!, try c.grad("w"), "grad w")
  }

  func testIntOverloadMatchesPairs() throws {
    let c = try fx.case("f32_stride2")
    let x = try c.input("x")
    let out = try x.conv2d(weight: try c.input("w"), bias: try c.input("b"), stride: 2, padding: 1)
    assertClose(out, try c.output, "int overload")
  }

  func testEmptyBatchGivesEmptyOutputAndZeroParameterGradients() throws {
    let x = Tensor.zeros([0, 4, 5, 5]).requiringGrad()
    let w = Tensor.full(1, [6, 4, 3, 3]).requiringGrad()
    let b = Tensor.zeros([6]).requiringGrad()
    let out = try x.conv2d(weight: w, bias: b, padding: 1)
    XCTAssertEqual(out.shape, [0, 6, 5, 5])
    try out.backward(Tensor.zeros(out.shape))
    XCTAssertEqual(x.grad?.shape, [0, 4, 5, 5])
    XCTAssertEqual(w.grad?.toArray(), [Float](repeating: 0, count: 6 * 4 * 9))
    XCTAssertEqual(b.grad?.toArray(), [Float](repeating: 0, count: 6))
  }

  func testWeightReorderIsMadeOnceAndReusedUntilInvalidated() throws {
    // 16 -> 16 channels: oneDNN picks a blocked weight layout, so conv2d reorders the weight
    // into a copy cached on its storage. Writing into the storage behind the cache's back
    // proves the second call reused that copy; invalidating it picks the new values up.
    let x = Tensor.ones([1, 16, 4, 4])
    let w = Tensor.full(0.5, [16, 16, 3, 3])
    let first = try x.conv2d(weight: w, padding: (1, 1)).toArray()
    w.floats().update(repeating: 1)
    let reused = try x.conv2d(weight: w, padding: (1, 1)).toArray()
    XCTAssertEqual(reused, first, "second call must use the cached reorder")
    w.storage.invalidateDerived()
    let fresh = try x.conv2d(weight: w, padding: (1, 1)).toArray()
    XCTAssertEqual(fresh, first.map { $0 * 2 }, "after invalidateDerived the new weight is used")
  }

  func testInvalidCallsThrowNamingConv2dAndShapes() throws {
    let x = Tensor.zeros([1, 4, 5, 5])
    let w = Tensor.zeros([6, 2, 3, 3])
    XCTAssertEqual(
      errorMessage { try Tensor.zeros([4, 5, 5]).conv2d(weight: w) },
      "conv2d: expected an input of rank 4 [N, Cin, H, W], got shape [4, 5, 5] (rank 3)")
    XCTAssertEqual(
      errorMessage { try x.conv2d(weight: w) },
      "conv2d: shapes [1, 4, 5, 5] and [6, 2, 3, 3] do not fit: input has 4 channels but the weight expects 2 per group x 1 groups"
    )
    XCTAssertEqual(
      errorMessage { try x.conv2d(weight: Tensor.zeros([5, 2, 3, 3]), groups: 2) },
      "conv2d: shapes [1, 4, 5, 5] and [5, 2, 3, 3] do not fit: 5 output channels do not divide into 2 groups")
    XCTAssertEqual(
      errorMessage { try x.conv2d(weight: w, bias: Tensor.zeros([5]), groups: 2) },
      "conv2d: shapes [6, 2, 3, 3] and [5] do not fit: bias must have shape [6] (one per output channel)")
    XCTAssertEqual(
      errorMessage { try x.conv2d(weight: Tensor.zeros([6, 4, 7, 1])) },
      "conv2d: shapes [1, 4, 5, 5] and [6, 4, 7, 1] do not fit: padding [0, 0] and dilation [1, 1] leave no output position (output size must be >= 1)"
    )
    XCTAssertTrue(
      errorMessage { try x.conv2d(weight: w, stride: (0, 1), groups: 2) }.hasPrefix("conv2d: stride [0, 1]"))
    XCTAssertTrue(
      errorMessage { try x.conv2d(weight: Tensor.zeros([6, 4, 3])) }.hasPrefix("conv2d: expected a weight"))
  }
}
