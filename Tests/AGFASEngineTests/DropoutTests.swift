import AGFASEngine
import AGFASTestSupport
import XCTest

/// Inverted dropout and gradient reversal: the two ops SSDG's discriminator adds.
final class DropoutTests: XCTestCase {
  func testGivenMaskScalesKeptElementsAndTheirGradient() throws {
    let x = try Tensor([1, -2, 3, 4, 5, 6], shape: [2, 3]).requiringGrad()
    let mask = try Tensor([1, 0, 1, 0, 0, 1], shape: [2, 3])
    let y = try x.dropout(keepMask: mask, p: 0.25)
    assertClose(y, try Tensor([4.0 / 3, 0, 4, 0, 0, 8], shape: [2, 3]), rtol: 1e-6, atol: 0)
    try y.backward(.ones([2, 3]))
    assertClose(
      try XCTUnwrap(x.grad), try Tensor([4.0 / 3, 0, 4.0 / 3, 0, 0, 4.0 / 3], shape: [2, 3]), rtol: 1e-6, atol: 0)
  }

  func testRandomMasksKeepAboutOneMinusPAndAreReproducibleBySeed() throws {
    let x = Tensor.ones([100, 100])
    let a = try x.dropout(p: 0.5, training: true, generator: TorchGenerator(seed: 1)).toArray()
    let b = try x.dropout(p: 0.5, training: true, generator: TorchGenerator(seed: 1)).toArray()
    XCTAssertEqual(a, b)
    XCTAssertEqual(Set(a), [0, 2])
    let kept = a.filter { $0 != 0 }.count
    XCTAssertEqual(Double(kept) / 10_000, 0.5, accuracy: 0.02)
    let c = try x.dropout(p: 0.5, training: true, generator: TorchGenerator(seed: 2)).toArray()
    XCTAssertNotEqual(a, c)
  }

  func testInferenceAndEdgeProbabilities() throws {
    let x = try Tensor([1, 2, 3], shape: [3])
    let g = TorchGenerator(seed: 0)
    XCTAssertEqual(try x.dropout(p: 0.5, training: false, generator: g).toArray(), [1, 2, 3])
    XCTAssertEqual(try x.dropout(p: 0, training: true, generator: g).toArray(), [1, 2, 3])
    XCTAssertEqual(try x.dropout(p: 1, training: true, generator: g).toArray(), [0, 0, 0])
    let bf16 = try x.converted(to: .bfloat16).dropout(keepMask: Tensor([1, 0, 1], shape: [3]), p: 0.5)
    XCTAssertEqual(bf16.dtype, .bfloat16)
    XCTAssertEqual(bf16.toArray(), [2, 0, 6])
  }

  func testRejectsBadProbabilitiesAndMasks() throws {
    let x = Tensor.ones([2, 3])
    XCTAssertEqual(
      errorMessage { try x.dropout(p: 1.5, training: true, generator: TorchGenerator(seed: 0)) },
      "dropout: p 1.5 must be in [0, 1] (input [2, 3])")
    XCTAssertEqual(
      errorMessage { try x.dropout(keepMask: .ones([3, 2]), p: 0.5) },
      "dropout: shapes [2, 3] and [3, 2] do not fit: the keep-mask must have the input's shape")
  }

  func testGradientReversalIsTheIdentityForwardAndNegatesScaledGradients() throws {
    let x = try Tensor([1, -2, 3], shape: [3]).requiringGrad()
    let y = try x.gradientReversed(scale: 0.25)
    XCTAssertEqual(y.toArray(), [1, -2, 3])
    try (y * y).sum().backward()
    // d(y^2)/dy = 2y, reversed and scaled: -0.25 * 2y.
    XCTAssertEqual(try XCTUnwrap(x.grad).toArray(), [-0.5, 1, -1.5])
    XCTAssertEqual(
      errorMessage { try x.gradientReversed(scale: .nan) }, "gradientReversed: scale nan is not finite")
    XCTAssertFalse(try withoutGrad { try x.gradientReversed(scale: 1) }.requiresGrad)
  }
}
