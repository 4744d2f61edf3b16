import AGFASEngine
import AGFASTestSupport
import XCTest

/// Runs a one-input fixture case through `op` with the input in `layout` and `dtype`: checks
/// the output (values, dtype, and layout when `keepsLayout`) and the input gradient against
/// PyTorch. The upstream gradient is seeded in `seedLayout` (row-major by default, so a
/// channels-last output also proves a mixed-layout backward).
func checkResizeFamilyCase(
  _ c: FixtureCase, layout: Layout = .rowMajor, dtype: DType = .float32, seedLayout: Layout = .rowMajor,
  keepsLayout: Bool = true, rtol: Float = 1e-5, atol: Float = 1e-6, _ op: (Tensor) throws -> Tensor,
  file: StaticString = #filePath, line: UInt = #line
) throws {
  let what = "\(c.name) \(layout) \(dtype)"
  var x = try c.input("x")
  if layout == .channelsLast { x = try x.channelsLast() }
  x = x.converted(to: dtype).detached().requiringGrad()
  let out = try op(x)
  XCTAssertEqual(out.dtype, dtype, "\(what): dtype", file: file, line: line)
  if keepsLayout { XCTAssertEqual(out.layout, layout, "\(what): layout", file: file, line: line) }
  assertClose(out, try c.output, rtol: rtol, atol: atol, "\(what) out", file: file, line: line)
  let seed = try c.gradOutput
  try out.backward(seedLayout == .channelsLast ? try seed.channelsLast() : seed)
  XCTAssertEqual(x.grad?.dtype, dtype, "\(what): grad dtype", file: file, line: line)
  assertClose(x.grad!, try c.grad("x"), rtol: rtol, atol: atol, "\(what) grad", file: file, line: line)
}

/// Bilinear, nearest and area resizing against F.interpolate / F.adaptive_avg_pool2d.
final class ResizeTests: XCTestCase {
  let fx = try! Fixture("resize")

  func size(_ c: FixtureCase) -> (Int, Int) { (c.ints("size")[0], c.ints("size")[1]) }

  func testBilinearMatchesTorchUpDownAndUnchangedAxisInBothLayouts() throws {
    for name in fx.cases where name.hasPrefix("bilinear_") && !name.hasSuffix("bf16") {
      let c = try fx.case(name)
      let (h, w) = size(c)
      for layout in [Layout.rowMajor, .channelsLast] {
        try checkResizeFamilyCase(c, layout: layout) { try $0.resizedBilinear(height: h, width: w) }
      }
    }
  }

  func testNearestUpsampleMatchesTorchAndKeepsChannelsLast() throws {
    try forEachCase(fx, prefix: "nearest_x") { c in
      let s = c.int("scale")
      try checkResizeFamilyCase(c) { try $0.upsampledNearest(scale: s) }
      // The UNet path: channels-last in, out, and back.
      try checkResizeFamilyCase(c, layout: .channelsLast, seedLayout: .channelsLast) {
        try $0.upsampledNearest(scale: s)
      }
      try checkResizeFamilyCase(c, layout: .channelsLast) { try $0.upsampledNearest(scale: s) }
    }
  }

  func testAreaAndAdaptiveAvgPoolMatchTorchWithOverlappingWindows() throws {
    for name in fx.cases where name.hasPrefix("area_") && !name.hasSuffix("bf16") {
      let c = try fx.case(name)
      let (h, w) = size(c)
      for layout in [Layout.rowMajor, .channelsLast] {
        try checkResizeFamilyCase(c, layout: layout) { try $0.resizedArea(height: h, width: w) }
        try checkResizeFamilyCase(c, layout: layout) { try $0.adaptiveAvgPool2d(height: h, width: w) }
      }
    }
  }

  func testBF16ResizesRoundOnceLikeTorch() throws {
    // Nearest forward copies bf16 bits: exact. Everything else computes in fp32 and rounds
    // once on both sides; allow one bf16 ulp (2^-8 relative) for different fp32 rounding.
    for layout in [Layout.rowMajor, .channelsLast] {
      let n = try fx.case("nearest_bf16")
      try checkResizeFamilyCase(n, layout: layout, dtype: .bfloat16, rtol: 0, atol: 0) {
        try $0.upsampledNearest()
      }
      let b = try fx.case("bilinear_bf16")
      try checkResizeFamilyCase(b, layout: layout, dtype: .bfloat16, rtol: 8e-3, atol: 1e-2) {
        try $0.resizedBilinear(height: 11, width: 13)
      }
      let a = try fx.case("area_bf16")
      try checkResizeFamilyCase(a, layout: layout, dtype: .bfloat16, rtol: 8e-3, atol: 1e-2) {
        try $0.adaptiveAvgPool2d(height: 4, width: 3)
      }
    }
  }

  func testLargeBatchesSplitAcrossThreadsMatchTorch() throws {
    // Tiling a case along the batch makes the kernels split work across threads; every tile
    // must still equal PyTorch's result.
    let tiles = 96
    func tiled(_ t: Tensor) throws -> Tensor { try Tensor.concat(Array(repeating: t, count: tiles), axis: 0) }
    let ops: [(String, (Tensor) throws -> Tensor)] = [
      ("bilinear_up_7x5_11x13", { try $0.resizedBilinear(height: 11, width: 13) }),
      ("bilinear_down_32_14", { try $0.resizedBilinear(height: 14, width: 14) }),
      ("area_9x7_4x3", { try $0.resizedArea(height: 4, width: 3) }),
      ("nearest_x3", { try $0.upsampledNearest(scale: 3) }),
    ]
    for (name, op) in ops {
      let c = try fx.case(name)
      for layout in [Layout.rowMajor, .channelsLast] {
        var x = try tiled(c.input("x"))
        if layout == .channelsLast { x = try x.channelsLast() }
        x = x.requiringGrad()
        let out = try op(x)
        assertClose(out, try tiled(c.output), "\(name) tiled \(layout) out")
        try out.backward(tiled(c.gradOutput))
        assertClose(x.grad!, try tiled(c.grad("x")), "\(name) tiled \(layout) grad")
      }
    }
  }

  func testResizeErrorsNameTheOpAndShapes() throws {
    let flat = Tensor.zeros([2, 3, 4])
    XCTAssertThrowsError(try flat.resizedBilinear(height: 2, width: 2)) { e in
      XCTAssertEqual("\(e)", "resizeBilinear: expected rank 4 [N, C, H, W], got shape [2, 3, 4] (rank 3)")
    }
    let x = Tensor.zeros([1, 2, 5, 6])
    XCTAssertThrowsError(try x.resizedArea(height: 0, width: 3)) { e in
      XCTAssertEqual("\(e)", "resizeArea: output size 0x3 must be positive (input [1, 2, 5, 6])")
    }
    XCTAssertThrowsError(try x.adaptiveAvgPool2d(height: 2, width: -1)) { e in
      XCTAssertTrue("\(e)".hasPrefix("adaptiveAvgPool2d: output size 2x-1"), "\(e)")
    }
    XCTAssertThrowsError(try x.upsampledNearest(scale: 0)) { e in
      XCTAssertEqual("\(e)", "upsampleNearest: scale 0 must be at least 1 (input [1, 2, 5, 6])")
    }
    XCTAssertThrowsError(try Tensor.zeros([1, 2, 0, 3]).upsampledNearest()) { e in
      XCTAssertEqual("\(e)", "upsampleNearest: input [1, 2, 0, 3] has an empty image")
    }
  }
}
