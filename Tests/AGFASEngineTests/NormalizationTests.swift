import AGFASEngine
import AGFASTestSupport
import XCTest

/// Layer, group and batch normalisation against PyTorch: outputs, input/weight/bias
/// gradients, running statistics, both layouts, bf16, and error messages.
final class NormalizationTests: XCTestCase {
  let fx = try! Fixture("norms")

  /// Tolerances for bf16 cases: both sides compute in fp32 and round once, so results agree
  /// to one bf16 ulp (2^-7 relative; statistics summed in another order can flip a rounding).
  let bf16 = (rtol: Float(8e-3), atol: Float(1e-2))

  /// Runs `op(x, weight, bias)` on a case's inputs (x relaid to `layout`, all cast to `dtype`)
  /// and compares the output and every gradient the case stores. Returns the output.
  @discardableResult
  func check(
    _ c: FixtureCase, layout: Layout = .rowMajor, dtype: DType = .float32, rtol: Float = 1e-5, atol: Float = 1e-6,
    _ op: (Tensor, Tensor?, Tensor?) throws -> Tensor
  ) throws -> Tensor {
    func load(_ n: String) throws -> Tensor? {
      guard c.has("in.\(n)") else { return nil }
      var t = try c.input(n).converted(to: dtype)
      if n == "x" { t = try t.relaid(layout) }
      return t.requiringGrad()
    }
    let x = try load("x")!
    let (w, b) = (try load("w"), try load("b"))
    let out = try op(x, w, b)
    let what = "\(c.name) \(layout) \(dtype)"
    XCTAssertEqual(out.dtype, dtype, what)
    assertClose(out, try c.output, rtol: rtol, atol: atol, "\(what) out")
    try out.backward(c.gradOutput)
    assertClose(x.grad!, try c.grad("x"), rtol: rtol, atol: atol, "\(what) grad x")
    if let w { assertClose(w.grad!, try c.grad("w"), rtol: rtol, atol: atol, "\(what) grad w") }
    if let b { assertClose(b.grad!, try c.grad("b"), rtol: rtol, atol: atol, "\(what) grad b") }
    return out
  }

  func layerNorm(_ c: FixtureCase) -> (Tensor, Tensor?, Tensor?) throws -> Tensor {
    { x, w, b in try x.layerNorm(normalizedShape: c.ints("normalizedShape"), weight: w, bias: b, eps: c.float("eps")) }
  }

  func groupNorm(_ c: FixtureCase) -> (Tensor, Tensor?, Tensor?) throws -> Tensor {
    { x, w, b in try x.groupNorm(groups: c.int("groups"), weight: w, bias: b, eps: c.float("eps")) }
  }

  func testLayerNormOverTrailingDimsMatchesTorch() throws {
    for name in fx.cases where name.hasPrefix("ln_") && name != "ln_bf16" {
      let c = try fx.case(name)
      // Shifted rows (mean 3): torch forms xhat as x * rstd - mean * rstd, which cancels; its
      // weight gradient is up to 1.3e-6 off a float64 reference there (ours 5e-7).
      try check(c, atol: name.contains("shifted") ? 2e-6 : 1e-6, layerNorm(c))
    }
  }

  func testLayerNormAcceptsChannelsLastAndReturnsRowMajor() throws {
    for name in ["ln_last2_affine", "ln_last2_plain"] {
      let c = try fx.case(name)
      let out = try check(c, layout: .channelsLast, layerNorm(c))
      XCTAssertEqual(out.layout, .rowMajor)
    }
  }

  func testLayerNormBF16MatchesTorch() throws {
    let c = try fx.case("ln_bf16")
    try check(c, dtype: .bfloat16, rtol: bf16.rtol, atol: bf16.atol, layerNorm(c))
  }

  func testGroupNormMatchesTorchInBothLayouts() throws {
    try forEachCase(fx, prefix: "gn_") { c in
      guard c.name != "gn_bf16" else { return }
      try check(c, groupNorm(c))
      if try c.input("x").rank == 4 {
        let out = try check(c, layout: .channelsLast, groupNorm(c))
        XCTAssertEqual(out.layout, .channelsLast, "\(c.name): group norm keeps channels-last")
      }
    }
  }

  func testGroupNormBF16MatchesTorchInBothLayouts() throws {
    let c = try fx.case("gn_bf16")
    for layout in [Layout.rowMajor, .channelsLast] {
      let out = try check(c, layout: layout, dtype: .bfloat16, rtol: bf16.rtol, atol: bf16.atol, groupNorm(c))
      XCTAssertEqual(out.layout, layout)
      // Inference reads and writes bf16 directly (no fp32 copies): the very same bits.
      let x = try c.input("x").converted(to: .bfloat16).relaid(layout)
      let (w, b) = (try c.input("w").converted(to: .bfloat16), try c.input("b").converted(to: .bfloat16))
      let direct = try withoutGrad { try x.groupNorm(groups: c.int("groups"), weight: w, bias: b, eps: c.float("eps")) }
      XCTAssertEqual(direct.dtype, .bfloat16)
      XCTAssertEqual(direct.layout, layout)
      XCTAssertEqual(direct.toArray(), out.toArray(), "bf16 inference group norm, \(layout)")
    }
  }

  /// Training-mode batch norm: output and gradients of the first call, and the running
  /// statistics after it and after a second call, as PyTorch updates them.
  func checkBatchNormTraining(_ name: String, layout: Layout, dtype: DType = .float32, rtol: Float, atol: Float)
    throws
  {
    let c = try fx.case(name)
    let s = try fx.case("\(name)_stats")
    let stats = BatchNormStatistics(
      runningMean: try s.tensor("rm0").converted(to: dtype), runningVar: try s.tensor("rv0").converted(to: dtype))
    let out = try check(c, layout: layout, dtype: dtype, rtol: rtol, atol: atol) { x, w, b in
      try x.batchNorm(weight: w, bias: b, running: stats, training: true, momentum: c.float("momentum"))
    }
    XCTAssertEqual(out.layout, layout, "\(name): batch norm keeps the layout")
    XCTAssertEqual(stats.numBatchesTracked, 1)
    assertClose(stats.runningMean, try s.tensor("rm1"), rtol: rtol, atol: atol, "\(name) running mean after 1")
    assertClose(stats.runningVar, try s.tensor("rv1"), rtol: rtol, atol: atol, "\(name) running var after 1")
    let x2 = try s.tensor("x2").converted(to: dtype).relaid(layout)
    let out2 = try x2.batchNorm(weight: nil, bias: nil, running: stats, training: true)
    assertClose(out2, try s.tensor("out2"), rtol: rtol, atol: atol, "\(name) second output")
    XCTAssertEqual(stats.numBatchesTracked, 2)
    XCTAssertEqual(stats.runningMean.dtype, dtype)
    assertClose(stats.runningMean, try s.tensor("rm2"), rtol: rtol, atol: atol, "\(name) running mean after 2")
    assertClose(stats.runningVar, try s.tensor("rv2"), rtol: rtol, atol: atol, "\(name) running var after 2")
  }

  func testBatchNormTrainingMatchesTorchAndUpdatesRunningStats() throws {
    for name in ["bn_train_4d", "bn_train_2d", "bn_train_3d_plain"] {
      try checkBatchNormTraining(name, layout: .rowMajor, rtol: 1e-5, atol: 1e-6)
    }
    try checkBatchNormTraining("bn_train_4d", layout: .channelsLast, rtol: 1e-5, atol: 1e-6)
  }

  func testBatchNormTrainingBF16MatchesTorch() throws {
    for layout in [Layout.rowMajor, .channelsLast] {
      try checkBatchNormTraining("bn_train_bf16", layout: layout, dtype: .bfloat16, rtol: bf16.rtol, atol: bf16.atol)
    }
  }

  func testBatchNormInferenceUsesRunningStatsAsConstants() throws {
    for (name, layouts) in [
      ("bn_eval_4d", [Layout.rowMajor, .channelsLast]), ("bn_eval_2d", [.rowMajor]),
      ("bn_eval_3d_plain", [.rowMajor]),
    ] {
      let c = try fx.case(name)
      let s = try fx.case("\(name)_stats")
      for layout in layouts {
        let stats = BatchNormStatistics(runningMean: try s.tensor("rm"), runningVar: try s.tensor("rv"))
        let out = try check(c, layout: layout) { x, w, b in
          try x.batchNorm(weight: w, bias: b, running: stats, training: false, eps: c.float("eps"))
        }
        XCTAssertEqual(out.layout, layout)
        XCTAssertEqual(stats.numBatchesTracked, 0)
        assertClose(stats.runningMean, try s.tensor("rm"), rtol: 0, atol: 0, "\(name): inference leaves stats alone")
      }
    }
  }

  /// Inputs big enough for the multi-task reductions; each result is compared with the same
  /// normalisation taken by a different kernel path (rtol 1e-5 / atol 1e-5: sums in another
  /// order over up to 37k values).
  func testLargeInputsAgreeAcrossKernelPaths() throws {
    let x = try Self.values([2, 64, 24, 24], seed: 1) * 2 + 1
    let g = try Self.values(x.shape, seed: 7)
    /// Output and gradients of `op` on (input, weight, bias), all of them leaves.
    func run(_ input: Tensor, _ w: Tensor, _ b: Tensor, _ grad: Tensor, _ op: (Tensor, Tensor, Tensor) throws -> Tensor)
      throws -> [Tensor]
    {
      let (xi, wi, bi) = (input.requiringGrad(), w.requiringGrad(), b.requiringGrad())
      let out = try op(xi, wi, bi)
      try out.backward(grad)
      return [out, xi.grad!, wi.grad!, bi.grad!]
    }
    // Group norm: channels-last row accumulation vs row-major runs.
    let (w, b) = (try Self.values([64], seed: 3), try Self.values([64], seed: 5))
    let gn = { (x: Tensor, w: Tensor, b: Tensor) in try x.groupNorm(groups: 32, weight: w, bias: b, eps: 1e-6) }
    for (a, e) in zip(try run(x.channelsLast(), w, b, g, gn), try run(x, w, b, g, gn)) {
      assertClose(a, e, atol: 1e-5, "group norm paths")
    }
    // Batch norm over [N, C] rows vs the same values as [1, C, N] runs.
    let (rows, gRows) = (try x.reshaped([4608, 16]), try g.reshaped([4608, 16]))
    let (w16, b16) = (try Self.values([16], seed: 9), try Self.values([16], seed: 11))
    let bn = { (x: Tensor, w: Tensor, b: Tensor) in try x.batchNorm(weight: w, bias: b, running: nil, training: true) }
    let asRuns = { (t: Tensor) in try t.transposed(0, 1).reshaped([1, 16, 4608]) }
    let fromRuns = { (t: Tensor) in try t.reshaped([16, 4608]).transposed(0, 1) }
    let viaRows = try run(rows, w16, b16, gRows, bn)
    let viaRuns = try run(asRuns(rows), w16, b16, asRuns(gRows), bn)
    assertClose(viaRows[0], try fromRuns(viaRuns[0]), atol: 1e-5, "batch norm out")
    assertClose(viaRows[1], try fromRuns(viaRuns[1]), atol: 1e-5, "batch norm grad x")
    assertClose(viaRows[2], viaRuns[2], atol: 1e-5, "batch norm grad w")
    assertClose(viaRows[3], viaRuns[3], atol: 1e-5, "batch norm grad b")
    // Layer norm over rows vs group norm with one group on the same [R, W] matrix (its
    // channels are then the row elements).
    let (wide, gWide) = (try x.reshaped([576, 128]), try g.reshaped([576, 128]))
    let (w128, b128) = (try Self.values([128], seed: 13), try Self.values([128], seed: 15))
    let ln = try run(wide, w128, b128, gWide) {
      try $0.layerNorm(normalizedShape: [128], weight: $1, bias: $2, eps: 1e-12)
    }
    let gn1 = try run(wide, w128, b128, gWide) { try $0.groupNorm(groups: 1, weight: $1, bias: $2, eps: 1e-12) }
    for (a, e) in zip(ln, gn1) { assertClose(a, e, atol: 1e-5, "layer norm vs one-group norm") }
  }

  /// Deterministic values in [-1, 1) (a linear congruential sequence).
  static func values(_ shape: [Int], seed: UInt32) throws -> Tensor {
    var state = seed
    let v = (0..<Shape.count(shape)).map { _ in
      state = state &* 1_664_525 &+ 1_013_904_223
      return Float(state >> 8) / Float(1 << 23) - 1
    }
    return try Tensor(v, shape: shape)
  }

  func testNormErrorsNameTheOpAndShapes() throws {
    let x = Tensor.zeros([2, 6, 4, 3])
    XCTAssertEqual(
      errorMessage { try x.groupNorm(groups: 4, weight: nil, bias: nil) },
      "groupNorm: the 6 channels of input [2, 6, 4, 3] do not divide into 4 groups")
    XCTAssertEqual(
      errorMessage { try x.groupNorm(groups: 3, weight: .ones([5]), bias: nil) },
      "groupNorm: shapes [2, 6, 4, 3] and [5] do not fit: weight must have shape [6] for this input")
    XCTAssertEqual(
      errorMessage { try Tensor.zeros([6]).groupNorm(groups: 3, weight: nil, bias: nil) },
      "groupNorm: expected an input [N, C, *] of rank >= 2, got shape [6] (rank 1)")
    XCTAssertEqual(
      errorMessage { try x.layerNorm(normalizedShape: [4], weight: nil, bias: nil) },
      "layerNorm: shapes [2, 6, 4, 3] and [4] do not fit: normalizedShape must be the trailing dims of the input")
    XCTAssertEqual(
      errorMessage { try x.layerNorm(normalizedShape: [4, 3], weight: nil, bias: .zeros([3])) },
      "layerNorm: shapes [2, 6, 4, 3] and [3] do not fit: bias must have shape [4, 3] for this input")
    XCTAssertEqual(
      errorMessage { try x.batchNorm(weight: .ones([4]), bias: nil, running: nil, training: true) },
      "batchNorm: shapes [2, 6, 4, 3] and [4] do not fit: weight must have shape [6] for this input")
    XCTAssertEqual(
      errorMessage { try x.batchNorm(weight: nil, bias: nil, running: nil, training: false) },
      "batchNorm: inference needs running statistics (input [2, 6, 4, 3])")
    XCTAssertEqual(
      errorMessage {
        try x.batchNorm(weight: nil, bias: nil, running: BatchNormStatistics(channels: 5), training: false)
      },
      "batchNorm: shapes [2, 6, 4, 3] and [5] do not fit: running mean must have shape [6] for this input")
    XCTAssertEqual(
      errorMessage { try Tensor.zeros([1, 3]).batchNorm(weight: nil, bias: nil, running: nil, training: true) },
      "batchNorm: training needs more than 1 value per channel, got input [1, 3]")
  }
}
