import AGFASEngine
import AGFASNN
import AGFASTestSupport
import XCTest

/// Seeded AGFAS layers start with PyTorch's initial values and compute what PyTorch computes.
final class LayerInitTests: XCTestCase {
  let fx = try! Fixture("layers")

  func build() -> (ParameterStore, Linear, Conv2d, Linear) {
    let store = ParameterStore(seed: 5)
    let root = store.root()
    let linear = Linear(root.child("linear"), inFeatures: 7, outFeatures: 3)
    let conv = Conv2d(
      root.child("conv"), inChannels: 4, outChannels: 6, kernel: (3, 2), stride: (2, 1), padding: (1, 0), groups: 2)
    let nobias = Linear(root.child("nobias"), inFeatures: 20, outFeatures: 9, bias: false)
    return (store, linear, conv, nobias)
  }

  func testDefaultInitialisationMatchesTorchAfterTheSameSeed() throws {
    let c = try fx.case("init_seed5")
    let (store, _, _, _) = build()
    XCTAssertEqual(
      store.all.map(\.path),
      ["linear.weight", "linear.bias", "conv.weight", "conv.bias", "nobias.weight"])
    for p in store.all {
      assertClose(p.value, try c.tensor(p.path), rtol: 1e-6, atol: 1e-7, p.path)
    }
  }

  func testLayerForwardsMatchTorch() throws {
    let c = try fx.case("forward")
    let (_, linear, conv, _) = build()
    assertClose(try linear(c.tensor("x_lin")), try c.tensor("y_lin"), rtol: 1e-5, atol: 1e-6, "linear")
    assertClose(try conv(c.tensor("x_conv")), try c.tensor("y_conv"), rtol: 1e-5, atol: 1e-6, "conv")
  }

  func testFastInitialisationIsDeterministicAndInRange() throws {
    func weights() -> [Float] {
      let store = ParameterStore(initialization: .fast)
      return Linear(store.root().child("l"), inFeatures: 100, outFeatures: 50).weight.value.toArray()
    }
    let a = weights()
    XCTAssertEqual(a, weights())
    XCTAssertTrue(a.allSatisfy { abs($0) <= 0.1 })
    XCTAssertGreaterThan(Set(a).count, 4000)
  }
}
