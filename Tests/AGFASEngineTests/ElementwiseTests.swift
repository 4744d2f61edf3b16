import AGFASEngine
import AGFASTestSupport
import XCTest

/// Broadcasting arithmetic, sums and re-arrangements against PyTorch, values and gradients.
final class ElementwiseTests: XCTestCase {
  let fx = try! Fixture("elementwise")

  /// Runs a binary op case: output and both input gradients.
  func checkBinary(_ c: FixtureCase, rtol: Float = 1e-5, atol: Float = 1e-6, _ op: (Tensor, Tensor) throws -> Tensor)
    throws
  {
    let a = try c.input("a").requiringGrad()
    let b = try c.input("b").requiringGrad()
    let out = try op(a, b)
    assertClose(out, try c.output, rtol: rtol, atol: atol, "\(c.name) out")
    try out.backward(c.gradOutput)
    assertClose(a.grad!, try c.grad("a"), rtol: rtol, atol: atol, "\(c.name) grad a")
    assertClose(b.grad!, try c.grad("b"), rtol: rtol, atol: atol, "\(c.name) grad b")
  }

  func testAddSubMulDivBroadcastMatchTorch() throws {
    for (prefix, op) in [
      ("add_", { try $0 + $1 }), ("sub_", { try $0 - $1 }), ("mul_", { try $0 * $1 }), ("div_", { try $0 / $1 }),
    ] as [(String, (Tensor, Tensor) throws -> Tensor)] {
      for name in fx.cases where name.hasPrefix(prefix) && !name.hasSuffix("bf16") {
        try checkBinary(fx.case(name), op)
      }
    }
  }

  func testBinaryOpsOnChannelsLastKeepLayoutAndValues() throws {
    let c = try fx.case("add_nchw_bias")
    let a = try c.input("a").channelsLast().requiringGrad()
    let b = try c.input("b").requiringGrad()
    let out = try a + b
    XCTAssertEqual(out.layout, .channelsLast)
    assertClose(out, try c.output, "channelsLast add")
    try out.backward(c.gradOutput)
    assertClose(a.grad!, try c.grad("a"), "grad a")
    assertClose(b.grad!, try c.grad("b"), "grad b")
  }

  func testBF16ArithmeticRoundsLikeTorch() throws {
    // Both sides round the fp32 result to bf16 once: expect agreement to one bf16 ulp.
    try checkBinary(fx.case("add_bf16"), rtol: 8e-3, atol: 1e-2) {
      try ($0.converted(to: .bfloat16) + $1.converted(to: .bfloat16))
    }
    try checkBinary(fx.case("mul_bf16"), rtol: 8e-3, atol: 1e-2) {
      try ($0.converted(to: .bfloat16) * $1.converted(to: .bfloat16))
    }
  }

  func testSameShapeBF16ArithmeticRoundsTheFP32ResultOnce() throws {
    let g = TorchGenerator(seed: 3)
    let a = g.randn([2, 5, 3, 4]).converted(to: .bfloat16)
    let b = g.randn([2, 5, 3, 4]).converted(to: .bfloat16)
    for (x, y) in [(a, b), (try a.channelsLast(), try b.channelsLast())] {
      let sum = try x + y
      let product = try x * y
      XCTAssertEqual(sum.dtype, .bfloat16)
      XCTAssertEqual(sum.layout, x.layout)
      let (fa, fb) = (x.converted(to: .float32).toArray(), y.converted(to: .float32).toArray())
      XCTAssertEqual(sum.toArray(), zip(fa, fb).map { BFloat16.round($0 + $1) })
      XCTAssertEqual(product.toArray(), zip(fa, fb).map { BFloat16.round($0 * $1) })
    }
  }

  func testSumOverAxesMatchesTorch() throws {
    try forEachCase(fx, prefix: "sum_") { c in
      let x = try c.input("x").requiringGrad()
      let out = c.name == "sum_all" ? try x.sum() : try x.sum(axes: c.ints("axes"), keepDims: c.bool("keepDims"))
      assertClose(out, try c.output, "\(c.name)")
      try out.backward(c.gradOutput)
      assertClose(x.grad!, try c.grad("x"), "\(c.name) grad")
    }
  }

  func testPermuteTransposeReshapeMatchTorch() throws {
    for (name, op) in [
      ("permute", { (x: Tensor) in try x.permuted([2, 0, 3, 1]) }),
      ("transpose", { (x: Tensor) in try x.transposed(1, 3) }),
      ("reshape", { (x: Tensor) in try x.reshaped([6, -1]) * 2 }),
    ] {
      let c = try fx.case(name)
      let x = try c.input("x").requiringGrad()
      let out = try op(x)
      assertClose(out, try c.output, name)
      try out.backward(c.gradOutput)
      assertClose(x.grad!, try c.grad("x"), "\(name) grad")
    }
  }

  func testShapeErrorsNameTheOpAndShapes() throws {
    let a = Tensor.zeros([2, 3])
    let b = Tensor.zeros([4])
    XCTAssertThrowsError(try a + b) { e in
      XCTAssertEqual("\(e)", "add: shapes [2, 3] and [4] do not fit: they do not broadcast")
    }
    XCTAssertThrowsError(try a.reshaped([5])) { e in
      XCTAssertTrue("\(e)".hasPrefix("reshape: shapes [2, 3] and [5]"), "\(e)")
    }
    XCTAssertThrowsError(try a.permuted([0, 0])) { e in
      XCTAssertTrue("\(e)".contains("permute"), "\(e)")
    }
  }
}
