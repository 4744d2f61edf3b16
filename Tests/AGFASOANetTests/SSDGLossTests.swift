import AGFASEngine
import AGFASOANet
import AGFASTestSupport
import Foundation
import XCTest

/// The SSDG losses on hand-computed cases (the fixture step checks them against PyTorch).
final class SSDGLossTests: XCTestCase {
  func testCrossEntropyIsTheMeanNegativeLogLikelihood() throws {
    let logits = try Tensor([0, 0, Float(Foundation.log(3.0)), 0], shape: [2, 2])
    let loss = try SSDGLoss.crossEntropy(logits, labels: [1, 0])
    XCTAssertEqual(try loss.item(), -Float(Foundation.log(0.5) + Foundation.log(0.75)) / 2, accuracy: 1e-6)
    XCTAssertEqual(
      errorMessage { try SSDGLoss.crossEntropy(logits, labels: [1, 2]) },
      "OA-Net input: cross-entropy label 2 is outside the 2 classes")
    XCTAssertEqual(
      errorMessage { try SSDGLoss.crossEntropy(logits, labels: [1]) },
      "OA-Net input: cross-entropy needs logits [N, C] and N > 0 labels, got [2, 2] and 1")
  }

  func testTripletClassesPutAllLiveFacesTogetherAndSpoofsPerDomain() {
    XCTAssertEqual(SSDGLoss.tripletClasses(labels: [1, 0, 1, 0, 0], domains: [0, 0, 2, 2, 1]), [0, 1, 0, 3, 2])
  }

  func testBatchAllTripletAveragesThePositiveTerms() throws {
    // Points on a line: a=0, b=0.3 (class 0); c=0.35, d=2 (class 1). With margin 0.1 the
    // positive terms are (a,b,c) .05, (b,a,c) .35, (c,d,a) 1.4, (c,d,b) 1.7, (d,c,b) .05.
    let x = try Tensor([0, 0, 0.3, 0, 0.35, 0, 2, 0], shape: [4, 2]).requiringGrad()
    let (loss, count) = try SSDGLoss.batchAllTriplet(x, classes: [0, 0, 1, 1])
    XCTAssertEqual(count, 5)
    XCTAssertEqual(try loss.item(), 3.55 / 5, accuracy: 1e-5)
    try loss.backward()
    // Each term moves its points by the signs of their differences, over 5: a gets -1 (b,a,c)
    // and +1 (c,d,a); b +1 +2 +1 +1; c -1 -1 -2 -2 -1; d +1 +1.
    assertClose(
      try XCTUnwrap(x.grad), try Tensor([0, 0, 1, 0, -1.4, 0, 0.4, 0], shape: [4, 2]), rtol: 1e-5, atol: 1e-5)
  }

  func testCoincidentEmbeddingsGiveFiniteGradients() throws {
    let x = try Tensor([1, 2, 1, 2, 0, 1], shape: [3, 2]).requiringGrad()
    let (loss, _) = try SSDGLoss.batchAllTriplet(x, classes: [0, 0, 1])
    try loss.backward()
    XCTAssertTrue(try XCTUnwrap(x.grad).toArray().allSatisfy(\.isFinite))
  }

  func testObjectiveRejectsBatchesItCannotScore() throws {
    let output = OANetOutput(
      logits: .zeros([2, 2]), scores: .zeros([2]), features: .zeros([2, 4]), embeddings: .zeros([2, 4]),
      cueTokens: .zeros([2, 1, 4]))
    let d = try DomainDiscriminator(
      config: OANetConfig(embeddingDim: 4, discriminatorHidden: 4), initialization: .uninitialized)
    XCTAssertEqual(
      errorMessage {
        try SSDGObjective()(output, labels: [0, 0], domains: [0, 1], discriminator: d, reversal: 0, dropout: .none)
      },
      "OA-Net input: the adversarial loss needs at least one live sample")
    XCTAssertEqual(
      errorMessage {
        try SSDGObjective()(output, labels: [1], domains: [0, 1], discriminator: d, reversal: 0, dropout: .none)
      },
      "OA-Net input: 2 samples but 1 labels and 2 domains")
  }
}
