import AGFASEngine
import AGFASTestSupport
import XCTest

/// maxPool2d and avgPool2d against PyTorch: ResNet's 3x3 s2 p1, MTCNN's ceil-mode pools on odd
/// sizes, non-square kernels, padding, the ceil-mode "last window must start inside" rule,
/// both divisor rules, channels-last and bf16; values and gradients.
final class PoolingTests: XCTestCase {
  let fx = try! Fixture("reductions")

  /// Pools the case input with the case's parameters.
  func pool(_ c: FixtureCase, _ x: Tensor) throws -> Tensor {
    let k = c.ints("kernel")
    let s = c.ints("stride")
    let p = c.ints("padding")
    let stride = c.bool("defaultStride") ? nil : (s[0], s[1])
    if c.name.hasPrefix("maxpool") {
      return try x.maxPool2d(kernel: (k[0], k[1]), stride: stride, padding: (p[0], p[1]), ceilMode: c.bool("ceilMode"))
    }
    return try x.avgPool2d(
      kernel: (k[0], k[1]), stride: stride, padding: (p[0], p[1]), ceilMode: c.bool("ceilMode"),
      countIncludePad: c.bool("countIncludePad"))
  }

  func check(
    _ c: FixtureCase, dtype: DType = .float32, layout: Layout = .rowMajor, rtol: Float = 1e-5,
    atol: Float = 1e-6
  ) throws {
    let x = try c.input("x").converted(to: dtype).relaid(layout).requiringGrad()
    let out = try pool(c, x)
    XCTAssertEqual(out.layout, layout, c.name)
    XCTAssertEqual(out.dtype, dtype, c.name)
    assertClose(out, try c.output, rtol: rtol, atol: atol, "\(c.name) \(layout) out")
    try out.backward(c.gradOutput)
    assertClose(x.grad!, try c.grad("x"), rtol: rtol, atol: atol, "\(c.name) \(layout) grad")
  }

  func testMaxPoolMatchesTorchInBothLayouts() throws {
    for name in fx.cases where name.hasPrefix("maxpool_") && !name.hasSuffix("bf16") {
      try check(fx.case(name))
      try check(fx.case(name), layout: .channelsLast)
    }
  }

  func testAvgPoolIncludeAndExcludePaddingMatchTorchIncludingCeilEdges() throws {
    for name in fx.cases where name.hasPrefix("avgpool_") && !name.contains("bf16") {
      try check(fx.case(name))
      try check(fx.case(name), layout: .channelsLast)
    }
  }

  func testBF16PoolingMatchesTorchAndRoundsGradientsOnce() throws {
    for name in ["maxpool_bf16", "avgpool_bf16_inc"] {
      let c = try fx.case(name)
      for layout in [Layout.rowMajor, .channelsLast] {
        let x = try c.input("x").converted(to: .bfloat16).relaid(layout).requiringGrad()
        let out = try pool(c, x)
        XCTAssertEqual(out.dtype, .bfloat16)
        XCTAssertEqual(out.layout, layout)
        // Max picks an element; the average sums in fp32 and rounds once, as torch does
        // (bit-equal here; one bf16 ulp, 2^-7, allows another summation order).
        assertClose(out, try c.output, rtol: 8e-3, atol: 1e-6, "\(name) \(layout) out")
        try out.backward(c.gradOutput)
        // Overlapping windows: our fp32 accumulation rounds once, so within half a bf16 ulp
        // (2^-8) of the fp64 gradient...
        assertClose(x.grad!, try c.tensor("exact.x"), rtol: 4e-3, atol: 1e-6, "\(name) \(layout) grad vs fp64")
        // ...while torch rounds after each window's contribution: a bf16 ulp of the result
        // plus rounding of the cancelling terms (<= 4e-3 here).
        assertClose(x.grad!, try c.grad("x"), rtol: 8e-3, atol: 4e-3, "\(name) \(layout) grad vs torch")
      }
    }
  }

  func testPoolingWithoutGradBuildsNoGraph() throws {
    let c = try fx.case("maxpool_resnet")
    let x = try c.input("x").requiringGrad()
    let out = try withoutGrad { try x.maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
    XCTAssertFalse(out.requiresGrad)
    assertClose(out, try c.output, "inference max pool")
  }

  func testCeilModeKeepsWindowsLargerThanTheInputLikeTorch() throws {
    // torch: max_pool2d([[1, 2, 3]], 2, 2, ceil_mode=True) == [[2, 3]], avg == [[1.5, 3]];
    // without ceil mode the output would be empty, which is an error.
    let x = try Tensor([1, 2, 3], shape: [1, 1, 1, 3])
    XCTAssertEqual(try x.maxPool2d(kernel: (2, 2), ceilMode: true).toArray(), [2, 3])
    XCTAssertEqual(try x.avgPool2d(kernel: (2, 2), ceilMode: true).toArray(), [1.5, 3])
    XCTAssertEqual(try x.avgPool2d(kernel: (2, 2), ceilMode: true, countIncludePad: false).toArray(), [1.5, 3])
    XCTAssertThrowsError(try x.maxPool2d(kernel: (2, 2)))
  }

  func testBadPoolingArgumentsThrowNamingTheOpAndShape() throws {
    let x = Tensor.zeros([1, 2, 3, 3])
    XCTAssertThrowsError(try x.maxPool2d(kernel: (4, 4))) { e in
      XCTAssertEqual(
        "\(e)",
        "maxPool2d: kernel [4, 4], stride [4, 4], padding [0, 0]: kernel is larger than the padded input of shape [1, 2, 3, 3]"
      )
    }
    XCTAssertThrowsError(try x.avgPool2d(kernel: (2, 2), padding: (2, 0))) { e in
      XCTAssertEqual(
        "\(e)",
        "avgPool2d: kernel [2, 2], stride [2, 2], padding [2, 0] on shape [1, 2, 3, 3]: padding must be at most half the kernel"
      )
    }
    XCTAssertThrowsError(try x.avgPool2d(kernel: (2, 0))) { e in
      XCTAssertTrue("\(e)".hasPrefix("avgPool2d: kernel [2, 0]"), "\(e)")
    }
    XCTAssertThrowsError(try Tensor.zeros([2, 3, 3]).maxPool2d(kernel: (2, 2))) { e in
      XCTAssertEqual("\(e)", "maxPool2d: expected an N,C,H,W tensor (rank 4), got shape [2, 3, 3] (rank 3)")
    }
  }
}
