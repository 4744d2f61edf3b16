import AGFASEngine
import AGFASTestSupport
import XCTest

/// Concat, slice, chunk and pad against torch.cat / indexing / torch.chunk / F.pad. They are
/// pure copies, so values and gradients must match exactly, bf16 included.
final class JoinTests: XCTestCase {
  let fx = try! Fixture("resize")

  /// Checks a three-input concat case with each input in the given layout and dtype.
  func checkConcat(
    _ c: FixtureCase, layouts: [Layout], dtypes: [DType], file: StaticString = #filePath, line: UInt = #line
  )
    throws
  {
    let what = "\(c.name) \(layouts) \(dtypes)"
    let inputs = try zip("abc", zip(layouts, dtypes)).map { name, form in
      var t = try c.input(String(name))
      if form.0 == .channelsLast { t = try t.channelsLast() }
      return t.converted(to: form.1).detached().requiringGrad()
    }
    let out = try Tensor.concat(inputs, axis: c.int("axis"))
    let allCL = layouts.allSatisfy { $0 == .channelsLast }
    XCTAssertEqual(out.layout, allCL ? .channelsLast : .rowMajor, "\(what): layout", file: file, line: line)
    XCTAssertEqual(out.dtype, Set(dtypes).count == 1 ? dtypes[0] : .float32, "\(what): dtype", file: file, line: line)
    assertClose(out, try c.output, rtol: 0, atol: 0, "\(what) out", file: file, line: line)
    try out.backward(c.gradOutput)
    for (name, t) in zip("abc", inputs) {
      XCTAssertEqual(t.grad?.dtype, t.dtype, "\(what): grad dtype", file: file, line: line)
      assertClose(t.grad!, try c.grad(String(name)), rtol: 0, atol: 0, "\(what) grad \(name)", file: file, line: line)
    }
  }

  func testConcatMatchesTorchOnEveryAxisWithUnequalSizes() throws {
    for name in fx.cases where name.hasPrefix("concat_") && !name.hasSuffix("bf16") {
      try checkConcat(
        fx.case(name), layouts: [.rowMajor, .rowMajor, .rowMajor], dtypes: [.float32, .float32, .float32])
    }
  }

  func testConcatOfChannelsLastStaysChannelsLastAndMixedLayoutsWork() throws {
    for name in ["concat_nchw_c", "concat_nchw_w"] {
      let c = try fx.case(name)
      try checkConcat(
        c, layouts: [.channelsLast, .channelsLast, .channelsLast], dtypes: [.float32, .float32, .float32])
      try checkConcat(c, layouts: [.channelsLast, .rowMajor, .channelsLast], dtypes: [.float32, .float32, .float32])
    }
  }

  func testConcatBF16IsExactAndMixedDTypesGiveFP32() throws {
    let c = try fx.case("concat_bf16")
    try checkConcat(c, layouts: [.rowMajor, .rowMajor, .rowMajor], dtypes: [.bfloat16, .bfloat16, .bfloat16])
    try checkConcat(
      c, layouts: [.channelsLast, .channelsLast, .channelsLast], dtypes: [.bfloat16, .bfloat16, .bfloat16])
    try checkConcat(c, layouts: [.channelsLast, .rowMajor, .rowMajor], dtypes: [.bfloat16, .float32, .bfloat16])
  }

  func testStridedSlicesMatchTorchInBothLayouts() throws {
    for name in fx.cases where name.hasPrefix("slice_") {
      let c = try fx.case(name)
      let bf16 = name.hasSuffix("bf16")
      let layouts: [Layout] = try c.tensor("in.x").rank == 4 ? [.rowMajor, .channelsLast] : [.rowMajor]
      for layout in layouts {
        try checkResizeFamilyCase(c, layout: layout, dtype: bf16 ? .bfloat16 : .float32, rtol: 0, atol: 0) {
          try $0.sliced(axis: c.int("axis"), start: c.int("start"), end: c.int("end"), step: c.int("step"))
        }
      }
    }
    // The Range form is the step-1 slice.
    try checkResizeFamilyCase(fx.case("slice_nchw_c"), layout: .channelsLast, rtol: 0, atol: 0) {
      try $0.sliced(axis: 1, range: 2..<5)
    }
  }

  func testChunkMatchesTorchIncludingUnevenAndFewerPieces() throws {
    try forEachCase(fx, prefix: "chunk_") { c in
      let x = try c.input("x").requiringGrad()
      let parts = try x.chunked(c.int("n"), axis: c.int("axis"))
      XCTAssertEqual(parts.count, c.int("count"), c.name)
      // One scalar whose gradient w.r.t. piece i is gout.i, to back-propagate all pieces.
      var total = Tensor(scalar: 0)
      for (i, p) in parts.enumerated() {
        assertClose(p, try c.tensor("out.\(i)"), rtol: 0, atol: 0, "\(c.name) out \(i)")
        total = try total + (p * c.tensor("gout.\(i)")).sum()
      }
      try total.backward()
      assertClose(x.grad!, try c.grad("x"), rtol: 0, atol: 0, "\(c.name) grad")
    }
  }

  func testConstantPadMatchesTorchWithAsymmetricPads() throws {
    for name in fx.cases where name.hasPrefix("pad_") {
      let c = try fx.case(name)
      let pads = (c.params["pads"] as! [[NSNumber]]).map { ($0[0].intValue, $0[1].intValue) }
      let bf16 = name.hasSuffix("bf16")
      let layouts: [Layout] = try c.tensor("in.x").rank == 4 ? [.rowMajor, .channelsLast] : [.rowMajor]
      for layout in layouts {
        // Exact: the pad value is rounded to bf16 once on both sides.
        try checkResizeFamilyCase(c, layout: layout, dtype: bf16 ? .bfloat16 : .float32, rtol: 0, atol: 0) {
          try $0.padded(pads, value: c.float("value"))
        }
      }
    }
  }

  func testJoinErrorsNameTheOpAndShapes() throws {
    let a = Tensor.zeros([2, 3])
    let b = Tensor.zeros([2, 4])
    XCTAssertThrowsError(try Tensor.concat([a, b], axis: 0)) { e in
      XCTAssertEqual("\(e)", "concat: shapes [2, 3] and [2, 4] do not fit: all dims but 0 must match")
    }
    XCTAssertThrowsError(try Tensor.concat([], axis: 0)) { e in
      XCTAssertEqual("\(e)", "concat: needs at least one tensor")
    }
    XCTAssertThrowsError(try Tensor.concat([a, b], axis: 2)) { e in
      XCTAssertEqual("\(e)", "concat: axis 2 is out of range for rank 2")
    }
    XCTAssertThrowsError(try a.sliced(axis: 1, start: 0, end: 2, step: 0)) { e in
      XCTAssertEqual("\(e)", "slice: step 0 must be positive (shape [2, 3], axis 1)")
    }
    XCTAssertThrowsError(try a.sliced(axis: 1, range: 1..<4)) { e in
      XCTAssertEqual("\(e)", "slice: range 1..<4 is outside axis 1 of shape [2, 3]")
    }
    XCTAssertThrowsError(try a.chunked(0, axis: 0)) { e in
      XCTAssertEqual("\(e)", "chunk: chunk count 0 must be positive (shape [2, 3])")
    }
    XCTAssertThrowsError(try a.padded([(1, 1)])) { e in
      XCTAssertEqual("\(e)", "pad: 1 (before, after) pairs [(1, 1)] for shape [2, 3]: need one per dim")
    }
    XCTAssertThrowsError(try a.padded([(0, 0), (-1, 2)])) { e in
      XCTAssertEqual("\(e)", "pad: negative padding [(0, 0), (-1, 2)] for shape [2, 3]")
    }
  }

  func testEmptySlicesAndPassThroughs() throws {
    let x = try Tensor((0..<12).map(Float.init), shape: [3, 4])
    let empty = try x.sliced(axis: 1, start: 3, end: 1)
    XCTAssertEqual(empty.shape, [3, 0])
    XCTAssertEqual(try x.sliced(axis: -1, start: -2, end: 100).toArray(), [2, 3, 6, 7, 10, 11])
    XCTAssertEqual(try Tensor.concat([x, empty], axis: 1).toArray(), x.toArray())
    XCTAssertEqual(try x.padded([(0, 0), (0, 0)]).toArray(), x.toArray())
  }
}
