import AGFASEngine
import AGFASTestSupport
import XCTest

/// The autograd graph itself: shared subexpressions, accumulation, no-grad inference, errors.
final class AutogradTests: XCTestCase {
  func testSharedInputsAccumulateGradients() throws {
    // y = sum(x * x + x): dy/dx = 2x + 1, with x used three times.
    let x = try Tensor([1, -2, 3.5], shape: [3]).requiringGrad()
    let y = try (x * x + x).sum()
    try y.backward()
    XCTAssertEqual(x.grad?.toArray(), [3, -3, 8])
  }

  func testLeafGradientsAddUpAcrossBackwardCallsUntilCleared() throws {
    let x = try Tensor([2, 4], shape: [2]).requiringGrad()
    try (x * 3).sum().backward()
    try (x * 3).sum().backward()
    XCTAssertEqual(x.grad?.toArray(), [6, 6])
    x.zeroGrad()
    XCTAssertNil(x.grad)
  }

  func testInferenceUnderWithoutGradRecordsNothing() throws {
    let w = Tensor.ones([4]).requiringGrad()
    let y = try withoutGrad { try w * 2 }
    XCTAssertFalse(y.requiresGrad)
    XCTAssertTrue(try (w * 2).requiresGrad)
    XCTAssertFalse(try (Tensor.ones([4]) * 2).requiresGrad, "untracked inputs build no graph")
  }

  func testDetachedValuesStopGradients() throws {
    let x = try Tensor([1, 2], shape: [2]).requiringGrad()
    try (x * x.detached()).sum().backward()
    XCTAssertEqual(x.grad?.toArray(), [1, 2])
  }

  func testGradientsFlowThroughDTypeAndLayoutConversions() throws {
    let x = try Tensor((0..<24).map(Float.init), shape: [1, 2, 3, 4]).requiringGrad()
    let y = try x.channelsLast().converted(to: .bfloat16) * 2
    XCTAssertEqual(y.layout, .channelsLast)
    XCTAssertEqual(y.dtype, .bfloat16)
    try y.sum().backward()
    XCTAssertEqual(x.grad?.dtype, .float32)
    XCTAssertEqual(x.grad?.layout, .rowMajor)
    XCTAssertEqual(x.grad?.toArray(), [Float](repeating: 2, count: 24))
  }

  func testBackwardMisuseIsReported() throws {
    XCTAssertThrowsError(try Tensor.ones([2]).backward()) { e in
      XCTAssertTrue("\(e)".contains("no autograd history"), "\(e)")
    }
    let x = Tensor.ones([2]).requiringGrad()
    XCTAssertThrowsError(try (x * 2).backward()) { e in
      XCTAssertTrue("\(e)".contains("one-element output, got shape [2]"), "\(e)")
    }
    XCTAssertThrowsError(try (x * 2).backward(Tensor.ones([3]))) { e in
      XCTAssertTrue("\(e)".contains("backward: shapes [2] and [3]"), "\(e)")
    }
  }

  func testDeepChainsDoNotOverflowTheStack() throws {
    let x = Tensor.ones([1]).requiringGrad()
    var y = x
    for _ in 0..<20000 { y = try y + 1 }
    try y.sum().backward()
    XCTAssertEqual(x.grad?.toArray(), [1])
  }
}
