import AGFASEngine
import AGFASTestSupport
import XCTest

/// Activations, unary math and softmax against PyTorch: outputs and gradients, both layouts,
/// bf16, extreme inputs and argument errors.
final class ActivationTests: XCTestCase {
  let fx = try! Fixture("activations")

  typealias Op = (Tensor) throws -> Tensor

  static let activations: [(String, Op)] = [
    ("relu", { try $0.relu() }), ("silu", { try $0.silu() }), ("gelu", { try $0.gelu() }),
    ("tanh", { try $0.tanh() }), ("sigmoid", { try $0.sigmoid() }),
  ]

  static let math: [(String, Op)] = [
    ("exp", { try $0.exp() }), ("log", { try $0.log() }), ("sqrt", { try $0.sqrt() }),
    ("rsqrt", { try $0.rsqrt() }), ("abs", { try $0.abs() }), ("square", { try $0.square() }),
  ]

  // bf16: the engine rounds where PyTorch's bf16 kernels round, so results agree but for
  // fp32-level differences (SLEEF vs oneDNN exp, sum order) that can tip a rounding: allow
  // one bf16 ulp (at most 2^-7 relative).
  static let bf16 = (rtol: Float(8e-3), atol: Float(1e-5))

  /// Runs a one-input case in row-major and, for rank 4, channels-last storage (optionally
  /// bf16): the output keeps the input's layout and dtype, and it and the input gradient
  /// match PyTorch.
  func checkUnary(
    _ c: FixtureCase, bf16: Bool = false, rtol: Float = 1e-5, atol: Float = 1e-6, _ op: Op,
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let base = try c.input("x").converted(to: bf16 ? .bfloat16 : .float32)
    for layout in base.rank == 4 ? [Layout.rowMajor, .channelsLast] : [.rowMajor] {
      let x = try base.relaid(layout).requiringGrad()
      let out = try op(x)
      let what = "\(c.name) \(layout)"
      XCTAssertEqual(out.layout, layout, "\(what): layout", file: file, line: line)
      XCTAssertEqual(out.dtype, x.dtype, "\(what): dtype", file: file, line: line)
      assertClose(out, try c.output, rtol: rtol, atol: atol, "\(what) out", file: file, line: line)
      try out.backward(c.gradOutput)
      assertClose(x.grad!, try c.grad("x"), rtol: rtol, atol: atol, "\(what) grad", file: file, line: line)
    }
  }

  func testActivationsMatchTorchOnOddShapesInBothLayouts() throws {
    for (name, op) in Self.activations {
      try checkUnary(fx.case("\(name)_3d"), op)
      try checkUnary(fx.case("\(name)_4d"), op)
    }
  }

  func testActivationsInBF16RoundLikeTorch() throws {
    for (name, op) in Self.activations {
      try checkUnary(fx.case("\(name)_bf16"), bf16: true, rtol: Self.bf16.rtol, atol: Self.bf16.atol, op)
    }
  }

  func testActivationsAndExpStayFiniteAndExactAtExtremeInputs() throws {
    // Inputs up to ±100: sigmoid/tanh saturate to exactly 0/±1 with zero gradient, no NaN.
    for (name, op) in Self.activations where name != "relu" {
      try checkUnary(fx.case("\(name)_extreme"), op)
    }
    try checkUnary(fx.case("exp_extreme"), { try $0.exp() })
    let s = try Tensor([-30, 30], shape: [2]).sigmoid().toArray()
    XCTAssertEqual(s[0], 9.357623e-14, accuracy: 1e-19)
    XCTAssertEqual(s[1], 1)
  }

  func testPReLUMatchesTorchForPerChannelAndSharedWeights() throws {
    for name in ["prelu_4d_c", "prelu_4d_1", "prelu_2d_c", "prelu_3d_c"] {
      let c = try fx.case(name)
      for layout in c.name.hasPrefix("prelu_4d") ? [Layout.rowMajor, .channelsLast] : [.rowMajor] {
        let x = try c.input("x").relaid(layout).requiringGrad()
        let w = try c.input("w").requiringGrad()
        let out = try x.prelu(weight: w)
        XCTAssertEqual(out.layout, layout, "\(name) layout")
        assertClose(out, try c.output, "\(name) \(layout) out")
        try out.backward(c.gradOutput)
        assertClose(x.grad!, try c.grad("x"), "\(name) \(layout) grad x")
        assertClose(w.grad!, try c.grad("w"), "\(name) \(layout) grad w")
      }
    }
  }

  /// The in-place form used for inference gives exactly the out-of-place values, in both
  /// layouts, and is refused where autograd needs the input or on bf16.
  func testPReLUInPlaceEqualsPReLUAndIsRefusedUnderAutograd() throws {
    for name in ["prelu_4d_c", "prelu_4d_1", "prelu_2d_c", "prelu_3d_c"] {
      let c = try fx.case(name)
      for layout in c.name.hasPrefix("prelu_4d") ? [Layout.rowMajor, .channelsLast] : [.rowMajor] {
        let w = try c.input("w")
        let expected = try c.input("x").relaid(layout).prelu(weight: w)
        let x = try c.input("x").relaid(layout).converted(to: .float32) + Tensor.zeros([1])  // a fresh buffer
        try withoutGrad { try x.preluInPlace(weight: w) }
        XCTAssertEqual(x.layout, layout)
        XCTAssertEqual(x.toArray(), expected.toArray(), "\(name) \(layout)")
      }
    }
    let x = Tensor.zeros([2, 3, 4, 4])
    XCTAssertThrowsError(try x.preluInPlace(weight: Tensor.zeros([3]))) { e in
      XCTAssertTrue("\(e)".contains("autograd needs the input"), "\(e)")
    }
    XCTAssertThrowsError(try withoutGrad { try x.converted(to: .bfloat16).preluInPlace(weight: Tensor.zeros([3])) })
    XCTAssertThrowsError(try withoutGrad { try x.preluInPlace(weight: Tensor.zeros([4])) })
  }

  func testPReLUInBF16MatchesTorch() throws {
    let c = try fx.case("prelu_bf16")
    let x = try c.input("x").converted(to: .bfloat16).channelsLast().requiringGrad()
    let w = try c.input("w").converted(to: .bfloat16).requiringGrad()
    let out = try x.prelu(weight: w)
    XCTAssertEqual(out.dtype, .bfloat16)
    assertClose(out, try c.output, rtol: Self.bf16.rtol, atol: Self.bf16.atol, "out")
    try out.backward(c.gradOutput)
    assertClose(x.grad!, try c.grad("x"), rtol: Self.bf16.rtol, atol: Self.bf16.atol, "grad x")
    // PyTorch rounds each of the 40 summed weight-gradient terms to bf16 before summing; the
    // engine sums them in fp32: allow two bf16 ulps.
    assertClose(w.grad!, try c.grad("w"), rtol: 2 * Self.bf16.rtol, atol: Self.bf16.atol, "grad w")
  }

  func testPReLUWithWrongWeightSizeThrowsNamingOpAndShapes() throws {
    let x = Tensor.zeros([2, 3, 5, 4])
    XCTAssertThrowsError(try x.prelu(weight: Tensor.zeros([4]))) { e in
      let m = "\(e)"
      XCTAssertTrue(m.hasPrefix("prelu: shapes [2, 3, 5, 4] and [4] do not fit"), m)
      XCTAssertTrue(m.contains("1 or 3 elements"), m)
    }
    XCTAssertThrowsError(try x.prelu(weight: Tensor.zeros([3, 1]))) { e in
      XCTAssertTrue("\(e)".hasPrefix("prelu: shapes [2, 3, 5, 4] and [3, 1]"), "\(e)")
    }
    XCTAssertNoThrow(try Tensor(scalar: -2).prelu(weight: Tensor([0.5], shape: [1])))
  }

  func testUnaryMathMatchesTorchOnOddShapesInBothLayouts() throws {
    for (name, op) in Self.math {
      try checkUnary(fx.case("\(name)_3d"), op)
      try checkUnary(fx.case("\(name)_4d"), op)
    }
  }

  func testUnaryMathInBF16RoundsLikeTorch() throws {
    for (name, op) in Self.math {
      // PyTorch's bf16 rsqrt rounds sqrt(x) to bf16 before dividing on the elements past the
      // last full vector (4 of these 132), one ulp off its vector path, which the engine
      // follows; the gradient's y^3 triples that.
      let rtol = name == "rsqrt" ? 4 * Self.bf16.rtol : Self.bf16.rtol
      try checkUnary(fx.case("\(name)_bf16"), bf16: true, rtol: rtol, atol: Self.bf16.atol, op)
    }
  }

  func testPowMatchesTorchIncludingItsSpecialCasedExponents() throws {
    try forEachCase(fx, prefix: "pow_") { c in
      let e = c.float("exponent")
      if c.name == "pow_bf16" {
        try checkUnary(c, bf16: true, rtol: Self.bf16.rtol, atol: Self.bf16.atol) { try $0.pow(e) }
      } else {
        try checkUnary(c) { try $0.pow(e) }
      }
    }
  }

  func testClampPassesGradientOnlyStrictlyInsideTheBoundsLikeTorch() throws {
    try forEachCase(fx, prefix: "clamp_") { c in
      let lo = c.params["min"] as? NSNumber
      let hi = c.params["max"] as? NSNumber
      let op: Op = { try $0.clamped(min: lo?.floatValue, max: hi?.floatValue) }
      if c.name == "clamp_bf16" {
        try checkUnary(c, bf16: true, rtol: Self.bf16.rtol, atol: Self.bf16.atol, op)
      } else {
        try checkUnary(c, op)
      }
    }
    XCTAssertThrowsError(try Tensor.zeros([3]).clamped(min: nil, max: nil)) { e in
      XCTAssertTrue("\(e)".hasPrefix("clamp:"), "\(e)")
    }
  }

  func testSoftmaxAndLogSoftmaxMatchTorchOverEveryAxisInBothLayouts() throws {
    for (kind, op) in [("softmax", false), ("logsoftmax", true)] {
      for name in fx.cases where name.hasPrefix("\(kind)_3d") || name.hasPrefix("\(kind)_4d") {
        let c = try fx.case(name)
        let axis = c.int("axis")
        try checkUnary(c) { op ? try $0.logSoftmax(axis: axis) : try $0.softmax(axis: axis) }
      }
    }
  }

  func testSoftmaxOfHugeLogitsIsStable() throws {
    try checkUnary(fx.case("softmax_extreme")) { try $0.softmax(axis: -1) }
    try checkUnary(fx.case("logsoftmax_extreme")) { try $0.logSoftmax(axis: -1) }
  }

  func testSoftmaxInBF16MatchesTorch() throws {
    for (kind, log) in [("softmax", false), ("logsoftmax", true)] {
      for name in ["\(kind)_bf16", "\(kind)_bf16_a1"] {
        let c = try fx.case(name)
        let axis = c.int("axis")
        try checkUnary(c, bf16: true, rtol: Self.bf16.rtol, atol: Self.bf16.atol) {
          log ? try $0.logSoftmax(axis: axis) : try $0.softmax(axis: axis)
        }
      }
    }
  }

  func testSoftmaxRejectsAnOutOfRangeAxisAndHandlesScalars() throws {
    XCTAssertThrowsError(try Tensor.zeros([2, 3]).softmax(axis: 2)) { e in
      XCTAssertEqual("\(e)", "softmax: axis 2 is out of range for rank 2")
    }
    XCTAssertThrowsError(try Tensor.zeros([2, 3]).logSoftmax(axis: -3)) { e in
      XCTAssertTrue("\(e)".hasPrefix("logSoftmax:"), "\(e)")
    }
    XCTAssertEqual(try Tensor(scalar: 5).softmax(axis: -1).item(), 1)
    XCTAssertEqual(try Tensor(scalar: 5).logSoftmax(axis: 0).item(), 0)
  }

  func testOpsOnEmptyTensorsReturnEmptyTensors() throws {
    let x = Tensor.zeros([0, 3]).requiringGrad()
    for (_, op) in Self.activations + Self.math {
      XCTAssertEqual(try op(x).shape, [0, 3])
    }
    XCTAssertEqual(try x.softmax(axis: 1).shape, [0, 3])
    XCTAssertEqual(try x.prelu(weight: Tensor.ones([3])).shape, [0, 3])
  }
}
