import AGFASEngine
import AGFASNN
import AGFASTestSupport
import XCTest

/// SGD against torch.optim.SGD trajectories (scripts/make_sgd_fixtures.py): momentum,
/// dampening, Nesterov, weight decay, and parameters without a gradient.
final class SGDTests: XCTestCase {
  let fx = try! Fixture("sgd")

  func testThreeStepsMatchTorchForEveryOptionSet() throws {
    for name in ["plain", "ssdg", "dampening", "nesterov"] {
      let c = try fx.case(name)
      let store = ParameterStore()
      let a = store.root().parameter("a", try c.tensor("a0"))
      let b = store.root().parameter("b", try c.tensor("b0"))
      let sgd = try SGD(
        parameters: store.trainable, learningRate: c.float("lr"), momentum: c.float("momentum"),
        dampening: c.float("dampening"), weightDecay: c.float("weight_decay"), nesterov: c.bool("nesterov"))
      for k in 1...3 {
        sgd.zeroGrad()
        // Gradients as a backward pass would leave them: the loss sum(p * g) has gradient g.
        var loss = try (a.value * c.tensor("ga\(k)")).sum()
        if c.has("gb\(k)") { loss = try loss + (b.value * c.tensor("gb\(k)")).sum() }
        try loss.backward()
        XCTAssertEqual(try sgd.step(), c.has("gb\(k)") ? 2 : 1)
        // Three fp32 steps: a few ulps of values ~1.
        assertClose(a.value, try c.tensor("a\(k)"), rtol: 1e-6, atol: 1e-6, "\(name) a after step \(k)")
        assertClose(b.value, try c.tensor("b\(k)"), rtol: 1e-6, atol: 1e-6, "\(name) b after step \(k)")
        XCTAssertFalse(a.value.requiresGrad, "step leaves plain values")
      }
    }
  }

  func testMomentumBuffersRoundTripForResuming() throws {
    let c = try fx.case("ssdg")
    func run(resumeAfter: Int?) throws -> Tensor {
      let store = ParameterStore()
      let a = store.root().parameter("a", try c.tensor("a0"))
      var sgd = try SGD(parameters: [a], learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)
      for k in 1...3 {
        if k - 1 == resumeAfter {
          let saved = sgd.momentumBuffers
          sgd = try SGD(parameters: [a], learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)
          try sgd.loadMomentumBuffers(saved)
        }
        sgd.zeroGrad()
        try (a.value * c.tensor("ga\(k)")).sum().backward()
        try sgd.step()
      }
      return a.value
    }
    XCTAssertEqual(try run(resumeAfter: 1).toArray(), try run(resumeAfter: nil).toArray())
  }

  func testRejectsBadOptionsAndBuffers() throws {
    let store = ParameterStore()
    let a = store.root().parameter("a", .zeros([2]))
    _ = store.root().buffer("running", .zeros([2]))
    XCTAssertEqual(
      errorMessage { try SGD(parameters: [a], learningRate: -1) },
      "SGD: learning rate -1.0 must be a finite value >= 0")
    XCTAssertEqual(
      errorMessage { try SGD(parameters: [a], learningRate: 0.1, nesterov: true) },
      "SGD: nesterov needs momentum > 0 and dampening 0")
    let sgd = try SGD(parameters: store.all, learningRate: 0.1, momentum: 0.9)
    XCTAssertEqual(sgd.parameters.map(\.path), ["a"], "buffers are not optimised")
    XCTAssertEqual(
      errorMessage { try sgd.loadMomentumBuffers(["b": .zeros([2])]) }, "SGD: momentum buffer for unknown parameter b")
    XCTAssertEqual(
      errorMessage { try sgd.loadMomentumBuffers(["a": .zeros([3])]) },
      "SGD: shapes [2] and [3] do not fit: momentum buffer of a does not match the parameter")
    XCTAssertEqual(try sgd.step(), 0, "no gradients, nothing to do")
  }
}
