import AGFASTestSupport
import XCTest

@testable import AGFASEngine

/// torch.matmul, F.linear and F.scaled_dot_product_attention against PyTorch: outputs and
/// every input gradient, fp32 and bf16, plus the kernels oneDNN picks and the error messages.
///
/// Tolerances: fp32 rtol 1e-5 with atol 5e-6, because oneDNN sums the dot products (length
/// <= 40) and the broadcast-batch gradient sums in another order than PyTorch, and outputs
/// near zero keep that absolute error (observed up to 2e-6). bf16 matmul and linear: one bf16
/// ulp (rtol 8e-3, atol 1e-2); both sides accumulate in fp32 and round once. bf16
/// attention: rtol/atol 2e-2, since probabilities and gradients pass through two or three
/// bf16 roundings whose placement differs from PyTorch's fused CPU kernel.
final class MatmulTests: XCTestCase {
  let fx = try! Fixture("matmul")
  let (rtol, atol): (Float, Float) = (1e-5, 5e-6)
  let (bfRtol, bfAtol): (Float, Float) = (8e-3, 1e-2)
  let (bfAttentionRtol, bfAttentionAtol): (Float, Float) = (2e-2, 2e-2)

  /// Runs `op` on the case's inputs (as `dtype`) and compares the output and the gradient of
  /// every input that has one in the fixture.
  func check(
    _ c: FixtureCase, _ names: [String], dtype: DType = .float32, rtol: Float, atol: Float,
    _ op: ([Tensor]) throws -> Tensor
  ) throws {
    let inputs = try names.map { try c.input($0).converted(to: dtype).requiringGrad() }
    let out = try op(inputs)
    XCTAssertEqual(out.dtype, dtype, c.name)
    assertClose(out, try c.output, rtol: rtol, atol: atol, "\(c.name) out")
    try out.backward(c.gradOutput)
    for (n, x) in zip(names, inputs) {
      XCTAssertEqual(x.grad?.dtype, dtype, "\(c.name) grad \(n) dtype")
      assertClose(x.grad!, try c.grad(n), rtol: rtol, atol: atol, "\(c.name) grad \(n)")
    }
  }

  func testMatmulMatchesTorchIncludingBroadcastBatchAndVectors() throws {
    for name in fx.cases where name.hasPrefix("mm_") && !name.contains("bf16") {
      try check(fx.case(name), ["input", "other"], rtol: rtol, atol: atol) { try $0[0].matmul($0[1]) }
    }
  }

  func testMatmulInBF16MatchesTorch() throws {
    for name in ["mm_bf16", "mm_bf16_bcast"] {
      try check(fx.case(name), ["input", "other"], dtype: .bfloat16, rtol: bfRtol, atol: bfAtol) {
        try $0[0].matmul($0[1])
      }
    }
  }

  func testMatmulReadsChannelsLastOperands() throws {
    let c = try fx.case("mm_heads")
    let a = try c.input("input").channelsLast().requiringGrad()
    let b = try c.input("other").channelsLast().requiringGrad()
    let out = try a.matmul(b)
    assertClose(out, try c.output, rtol: rtol, atol: atol, "out")
    try out.backward(c.gradOutput)
    assertClose(a.grad!, try c.grad("input"), rtol: rtol, atol: atol, "grad a")
    assertClose(b.grad!, try c.grad("other"), rtol: rtol, atol: atol, "grad b")
  }

  func testMixedDTypesComputeInFirstOperandsTypeAndGradsKeepEachType() throws {
    let c = try fx.case("mm_2d")
    let a = try c.input("input").requiringGrad()
    let b = try c.input("other").converted(to: .bfloat16).requiringGrad()
    let out = try a.matmul(b)
    XCTAssertEqual(out.dtype, .float32)
    let ref = try c.input("input").matmul(c.input("other").converted(to: .bfloat16).converted(to: .float32))
    assertClose(out, ref, rtol: rtol, atol: atol, "out")
    try out.backward(c.gradOutput)
    XCTAssertEqual(a.grad?.dtype, .float32)
    XCTAssertEqual(b.grad?.dtype, .bfloat16)
    assertClose(b.grad!, try c.grad("other"), rtol: bfRtol, atol: bfAtol, "grad b")
  }

  func testLinearMatchesTorchOnRank1To3WithAndWithoutBias() throws {
    for name in fx.cases where name.hasPrefix("linear_") && !name.contains("bf16") {
      let c = try fx.case(name)
      let names = c.has("in.bias") ? ["input", "weight", "bias"] : ["input", "weight"]
      try check(c, names, rtol: rtol, atol: atol) { try $0[0].linear(weight: $0[1], bias: $0.count > 2 ? $0[2] : nil) }
    }
  }

  func testLinearInBF16MatchesTorch() throws {
    try check(fx.case("linear_bf16_bias"), ["input", "weight", "bias"], dtype: .bfloat16, rtol: bfRtol, atol: bfAtol) {
      try $0[0].linear(weight: $0[1], bias: $0[2])
    }
  }

  func testLinearReusesPackedWeightAndSkipsUnneededGrads() throws {
    let c = try fx.case("linear_3d_bias")
    let w = try c.input("weight")
    let b = try c.input("bias")
    let x = try c.input("input").requiringGrad()
    for _ in 0..<2 {
      x.zeroGrad()
      let out = try x.linear(weight: w, bias: b)
      assertClose(out, try c.output, rtol: rtol, atol: atol, "out")
      try out.backward(c.gradOutput)
      assertClose(x.grad!, try c.grad("input"), rtol: rtol, atol: atol, "grad x")
    }
    XCTAssertNil(w.grad)
    XCTAssertFalse(try withoutGrad { try x.linear(weight: w, bias: b) }.requiresGrad)
  }

  func testAttentionMatchesTorchForHeadsBroadcastAndScale() throws {
    for name in fx.cases where name.hasPrefix("attn_") && !name.contains("bf16") {
      let c = try fx.case(name)
      let scale = (c.params["scale"] as? NSNumber)?.floatValue
      try check(c, ["query", "key", "value"], rtol: rtol, atol: atol) {
        try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], scale: scale)
      }
    }
  }

  func testAttentionInBF16MatchesTorch() throws {
    try check(
      fx.case("attn_bf16"), ["query", "key", "value"], dtype: .bfloat16, rtol: bfAttentionRtol, atol: bfAttentionAtol
    ) {
      try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2])
    }
  }

  /// Chunking changes how oneDNN blocks its GEMMs, so chunked and whole results may differ by
  /// a summation order: bounded by `chunkingBound`, not compared for equality.
  func testAttentionKernelsRunInChunksWithinTheirRoundingBound() throws {
    // A budget of one score element forces one chunk per outermost batch index ([6] merged
    // heads; [2, 3] unmerged for the broadcast case).
    for (name, dtype) in [("attn_heads", DType.float32), ("attn_bcast", .float32), ("attn_bf16", .bfloat16)] {
      let c = try fx.case(name)
      let (q, k, v) = try (
        c.input("query").converted(to: dtype), c.input("key").converted(to: dtype),
        c.input("value").converted(to: dtype)
      )
      let batch = [q, k, v].map { Array($0.shape.dropLast(2)) }.reduce([]) { Shape.broadcast($0, $1)! }
      let scale = 1 / Float(q.shape.last!).squareRoot()
      let (r, a) = dtype == .float32 ? (rtol, atol) : (bfAttentionRtol, bfAttentionAtol)
      for keep in [false, true] {
        let (out, probs) = try attentionForward(q, k, v, batch: batch, scale: scale, keepProbs: keep, budget: 1)
        let (whole, wholeProbs) = try attentionForward(q, k, v, batch: batch, scale: scale, keepProbs: keep)
        let bound = try chunkingBound(q, k, v, scale: scale, dtype: dtype)
        assertWithin(out, whole, bound.out, "\(name) out (keep \(keep))")
        if let probs, let wholeProbs { assertWithin(probs, wholeProbs, bound.probs, "\(name) probs") }
        assertClose(out, try c.output, rtol: r, atol: a, name)
      }
      let (_, probs) = try attentionForward(q, k, v, batch: batch, scale: scale, keepProbs: true)
      let grads = try attentionBackward(
        c.gradOutput.converted(to: dtype), probs: probs!, q: q, k: k, v: v, batch: batch, scale: scale,
        need: (true, true, true), budget: 1)
      for (n, grad, x) in [("query", grads.0, q), ("key", grads.1, k), ("value", grads.2, v)] {
        assertClose(try grad!.summed(toShape: x.shape), try c.grad(n), rtol: r, atol: a, "\(name) grad \(n)")
      }
    }
  }

  /// Elementwise bounds on how far two summation orders can move attention's probabilities
  /// and output. A score is a dot product of E terms: two orders differ by at most
  /// 2 E u sum|q k| scale (u = 2^-24). Moving every score of a row by at most d changes each
  /// probability by a factor within exp(+-2d), so by at most 2.2 d p for d << 1. The output
  /// sum_s p_s v_s then moves by 2.2 d sum|p v| plus its own reordering, 2 S u sum|p v|.
  /// bf16 adds one rounding of each probability and of the output (2^-8 relative each).
  private func chunkingBound(
    _ q: Tensor, _ k: Tensor, _ v: Tensor, scale: Float, dtype: DType
  ) throws -> (probs: Tensor, out: Tensor) {
    let u: Float = 0x1p-24
    let (e, s) = (Float(q.shape.last!), Float(k.shape[k.rank - 2]))
    let (q32, k32, v32) = (q.converted(to: .float32), k.converted(to: .float32), v.converted(to: .float32))
    let scores = try q32.matmul(k32.transposed(-2, -1)).multiplying(Tensor(scalar: scale))
    let p = try scores.softmax(axis: -1)
    let magnitude = try q32.abs().matmul(k32.abs().transposed(-2, -1)).multiplying(Tensor(scalar: scale))
    let d = 2 * e * u * (try magnitude.max().item())
    let bf16: Float = dtype == .bfloat16 ? 0x1p-8 : 0
    let probs = try p.multiplying(Tensor(scalar: 2.2 * d + bf16))
    let pv = try p.matmul(v32.abs())
    let out = try pv.multiplying(Tensor(scalar: 2.2 * d + 2 * s * u + bf16))
      .adding(try p.matmul(v32).abs().multiplying(Tensor(scalar: bf16)))
    return (probs, out)
  }

  /// Asserts |a - b| <= bound elementwise (all three broadcast to one shape).
  private func assertWithin(_ a: Tensor, _ b: Tensor, _ bound: Tensor, _ what: String) {
    let (x, y, t) = (
      a.converted(to: .float32).toArray(), b.converted(to: .float32).toArray(), bound.converted(to: .float32).toArray()
    )
    XCTAssertEqual(x.count, t.count, what)
    let worst = zip(zip(x, y), t).map { abs($0.0 - $0.1) / Swift.max($1, .leastNormalMagnitude) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, 1, "\(what): worst difference is \(worst) of its bound")
  }

  /// The matmuls and softmaxes of attention, forward and backward, run JIT kernels at every
  /// ISA level: where oneDNN has only its reference softmax backward (AVX2), the engine's own
  /// kernel runs instead.
  func testAttentionAndLargeMatmulRunNoReferenceKernel() throws {
    let gen = TorchGenerator(seed: 0)
    for t in [DType.float32, .bfloat16] {
      let (q, k, v) = (
        gen.randn([8, 1024, 40]).converted(to: t).requiringGrad(),
        gen.randn([8, 1024, 40]).converted(to: t).requiringGrad(),
        gen.randn([8, 1024, 40]).converted(to: t).requiringGrad()
      )
      let (a, b) = (gen.randn([2048, 2048], dtype: t), gen.randn([2048, 2048], dtype: t))
      let (_, kernels) = try ComputeBackend.recordingKernels {
        try Tensor.scaledDotProductAttention(query: q, key: k, value: v).sum().backward()
        _ = try a.matmul(b)
      }
      print("oneDNN kernels, attention and 2048^3 matmul in \(t): \(kernels.sorted())")
      XCTAssertFalse(kernels.isEmpty)
      for kernel in kernels { XCTAssertFalse(kernel.contains(": ref"), "\(t): \(kernel)") }
    }
  }

  func testShapeErrorsNameTheOpAndShapes() throws {
    let a = Tensor.zeros([7, 13])
    XCTAssertEqual(
      errorMessage { try a.matmul(Tensor.zeros([12, 5])) },
      "matmul: shapes [7, 13] and [12, 5] do not fit: inner dims 13 and 12 differ")
    XCTAssertEqual(
      errorMessage { try Tensor.zeros([2, 4, 6]).matmul(Tensor.zeros([3, 6, 5])) },
      "matmul: shapes [2, 4, 6] and [3, 6, 5] do not fit: batch dims do not broadcast")
    XCTAssertEqual(
      errorMessage { try a.matmul(Tensor(scalar: 1)) },
      "matmul: shapes [7, 13] and [] do not fit: operands need rank >= 1")
    XCTAssertEqual(
      errorMessage { try a.linear(weight: Tensor.zeros([5, 12])) },
      "linear: shapes [7, 13] and [5, 12] do not fit: input's last dim must equal the weight's in = 12")
    XCTAssertEqual(
      errorMessage { try a.linear(weight: Tensor.zeros([5, 13]), bias: Tensor.zeros([4])) },
      "linear: shapes [5, 13] and [4] do not fit: bias must have shape [out] = [5]")
    XCTAssertEqual(
      errorMessage { try a.linear(weight: Tensor.zeros([13])) },
      "linear: expected a weight of rank 2 [out, in], got shape [13] (rank 1)")
    let q = Tensor.zeros([2, 5, 8])
    XCTAssertEqual(
      errorMessage {
        try Tensor.scaledDotProductAttention(query: q, key: Tensor.zeros([2, 7, 6]), value: Tensor.zeros([2, 7, 4]))
      },
      "scaled_dot_product_attention: shapes [2, 5, 8] and [2, 7, 6] and [2, 7, 4] do not fit: query and key differ in their last dim"
    )
    XCTAssertEqual(
      errorMessage {
        try Tensor.scaledDotProductAttention(query: q, key: Tensor.zeros([2, 7, 8]), value: Tensor.zeros([2, 6, 4]))
      },
      "scaled_dot_product_attention: shapes [2, 5, 8] and [2, 7, 8] and [2, 6, 4] do not fit: key and value differ in length (dim -2)"
    )
    XCTAssertEqual(
      errorMessage {
        try Tensor.scaledDotProductAttention(query: q, key: Tensor.zeros([3, 7, 8]), value: Tensor.zeros([3, 7, 4]))
      },
      "scaled_dot_product_attention: shapes [2, 5, 8] and [3, 7, 8] and [3, 7, 4] do not fit: batch dims do not broadcast"
    )
  }
}
