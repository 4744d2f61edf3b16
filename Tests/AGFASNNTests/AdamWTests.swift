import AGFASEngine
import AGFASNN
import AGFASTestSupport
import XCTest

/// AdamW against torch.optim.AdamW trajectories (scripts/make_adamw_fixtures.py): torch's
/// defaults, diffusers' fine-tuning settings and other betas, with a parameter that has no
/// gradient at one step.
final class AdamWTests: XCTestCase {
  let fx = try! Fixture("adamw")

  func optimizer(_ c: FixtureCase, _ parameters: [Parameter]) throws -> AdamW {
    try AdamW(
      parameters: parameters, learningRate: c.float("lr"), beta1: c.float("beta1"), beta2: c.float("beta2"),
      epsilon: c.float("eps"), weightDecay: c.float("weight_decay"))
  }

  func testThreeStepsMatchTorchForEveryOptionSet() throws {
    for name in ["defaults", "diffusers", "custom"] {
      let c = try fx.case(name)
      let store = ParameterStore()
      let a = store.root().parameter("a", try c.tensor("a0"))
      let b = store.root().parameter("b", try c.tensor("b0"))
      let adam = try optimizer(c, store.trainable)
      for k in 1...3 {
        adam.zeroGrad()
        var loss = try (a.value * c.tensor("ga\(k)")).sum()
        if c.has("gb\(k)") { loss = try loss + (b.value * c.tensor("gb\(k)")).sum() }
        try loss.backward()
        XCTAssertEqual(try adam.step(), c.has("gb\(k)") ? 2 : 1)
        // fp32 with the options rounded to fp32 once: a few ulps of values ~1.
        assertClose(a.value, try c.tensor("a\(k)"), rtol: 2e-6, atol: 2e-6, "\(name) a after step \(k)")
        assertClose(b.value, try c.tensor("b\(k)"), rtol: 2e-6, atol: 2e-6, "\(name) b after step \(k)")
      }
      assertClose(
        adam.state["a"]!.exponentialAverage, try c.tensor("exp_avg_a"), rtol: 1e-6, atol: 1e-7, "\(name) exp_avg")
      assertClose(
        adam.state["a"]!.exponentialAverageSquared, try c.tensor("exp_avg_sq_a"), rtol: 1e-6, atol: 1e-7,
        "\(name) exp_avg_sq")
      XCTAssertEqual(adam.state["a"]!.step, 3)
      XCTAssertEqual(adam.state["b"]!.step, c.int("b_steps"), "a step without a gradient is not counted")
    }
  }

  func testStateRoundTripsForResumingBitForBit() throws {
    let c = try fx.case("diffusers")
    func run(resumeAfter: Int?) throws -> [Float] {
      let store = ParameterStore()
      let a = store.root().parameter("a", try c.tensor("a0"))
      var adam = try optimizer(c, [a])
      for k in 1...3 {
        if k - 1 == resumeAfter {
          let saved = adam.state
          adam = try optimizer(c, [a])
          try adam.loadState(saved)
        }
        adam.zeroGrad()
        try (a.value * c.tensor("ga\(k)")).sum().backward()
        try adam.step()
      }
      return try a.value.toArray()
    }
    XCTAssertEqual(try run(resumeAfter: 1), try run(resumeAfter: nil))
  }

  func testRejectsBadOptionsAndState() throws {
    let store = ParameterStore()
    let a = store.root().parameter("a", .zeros([2]))
    XCTAssertEqual(
      errorMessage { try AdamW(parameters: [a], learningRate: -1) },
      "AdamW: learning rate -1.0 must be a finite value >= 0")
    XCTAssertEqual(
      errorMessage { try AdamW(parameters: [a], learningRate: 1e-4, beta2: 1) }, "AdamW: beta2 1.0 must be in [0, 1)")
    let adam = try AdamW(parameters: [a], learningRate: 1e-4)
    let moments = AdamW.State(step: 1, exponentialAverage: .zeros([2]), exponentialAverageSquared: .zeros([2]))
    XCTAssertEqual(errorMessage { try adam.loadState(["b": moments]) }, "AdamW: state for unknown parameter b")
    var wrong = moments
    wrong.step = 0
    XCTAssertEqual(errorMessage { try adam.loadState(["a": wrong]) }, "AdamW: step 0 of a must be at least 1")
    XCTAssertEqual(try adam.step(), 0, "no gradients, nothing to do")
  }
}
