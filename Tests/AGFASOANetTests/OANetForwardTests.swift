import AGFASEngine
import AGFASNN
import AGFASOANet
import AGFASTestSupport
import XCTest

/// OA-Net's inference path (docs/method.md §3, §4) against the torch reference of make_oanet_fixtures.py.
final class OANetForwardTests: XCTestCase {
  func testAnomalousCueMatchesPyTorch() throws {
    let fx = try OANetFixture()
    let cue = try AnomalousCue.input(image: fx.tensor("fwd/img"), reconstruction: fx.tensor("fwd/rec"))
    XCTAssertEqual(cue.shape, [2, 6, 64, 64])
    // The residual is divided by its std (~0.2): rounding of the mean/std reductions scales up a little.
    assertClose(cue, try fx.forwardInput(), rtol: 1e-5, atol: 2e-6, "cue input")
  }

  func testForwardMatchesPyTorchFP32() throws {
    let fx = try OANetFixture()
    let model = try fx.model()
    let out = try withoutGrad { try model(fx.forwardInput()) }
    // fp32 through a ResNet-18 and two ViT layers with cross-attention: the worst elements
    // differ by ~1e-6 of the tensor's largest (tokens reach ~26: up to 2.1e-5 absolute on a
    // token of 1.07 after 18 convolutions summed in oneDNN's order), so rtol 1e-5 and, for
    // the tokens, atol 3e-5.
    assertClose(out.cueTokens, try fx.tensor("fwd/tokens"), rtol: 1e-5, atol: 3e-5, "cue tokens")
    assertClose(out.features, try fx.tensor("fwd/features"), rtol: 1e-5, atol: 1e-5, "CLS features")
    assertClose(out.embeddings, try fx.tensor("fwd/embeddings"), rtol: 1e-5, atol: 1e-6, "embeddings")
    assertClose(out.logits, try fx.tensor("fwd/logits"), rtol: 1e-5, atol: 1e-6, "logits")
    assertClose(out.scores, try fx.tensor("fwd/scores"), rtol: 1e-5, atol: 1e-6, "P(live)")
  }

  func testBF16WeightsStayCloseToPyTorchFP32() throws {
    let fx = try OANetFixture()
    let model = try fx.model()
    model.store.convert(to: .bfloat16)
    XCTAssertEqual(model.dtype, .bfloat16)
    let out = try withoutGrad { try model(fx.forwardInput()) }
    XCTAssertEqual(out.logits.dtype, .bfloat16)
    // bf16 keeps 8 significant bits and rounds every activation: through ~30 layers the
    // features (std ~1) drift by up to 0.033 here, the scores by 0.007; allowed twice that.
    assertClose(out.features.converted(to: .float32), try fx.tensor("fwd/features"), rtol: 0, atol: 0.07, "features")
    assertClose(out.scores.converted(to: .float32), try fx.tensor("fwd/scores"), rtol: 0, atol: 0.015, "P(live)")
  }

  func testScoresFromFaceAndReconstructionLeaveTheModelUnchanged() throws {
    let fx = try OANetFixture()
    let model = try fx.model()
    let before = model.store.stateDict()
    let scores = try model.scores(image: fx.tensor("fwd/img"), reconstruction: fx.tensor("fwd/rec"))
    assertClose(scores, try fx.tensor("fwd/scores"), rtol: 1e-5, atol: 1e-6, "P(live)")
    // Inference neither normalises the classifier in place nor touches BatchNorm statistics.
    for (key, value) in model.store.stateDict() {
      XCTAssertEqual(value.toArray(), before[key]!.toArray(), key)
    }
  }

  func testGradientsReachBothInputBranches() throws {
    // A backward smoke test through every part, in eval mode.
    let fx = try OANetFixture()
    let model = try fx.model()
    let x = try fx.forwardInput().requiringGrad()
    let out = try model(x)
    try out.logits.sum().backward()
    let g = try XCTUnwrap(x.grad)
    XCTAssertEqual(g.shape, x.shape)
    let values = g.toArray()
    XCTAssertTrue(values.allSatisfy(\.isFinite))
    // Both branches get gradient: the face channels and the cue channels.
    let plane = 64 * 64
    XCTAssertGreaterThan(values[0..<(3 * plane)].map(abs).max() ?? 0, 0)
    XCTAssertGreaterThan(values[(3 * plane)..<(6 * plane)].map(abs).max() ?? 0, 0)
  }

  func testRejectsBadInputsWithClearMessages() throws {
    let fx = try OANetFixture()
    let model = try fx.model()
    XCTAssertEqual(
      errorMessage { try model(.zeros([1, 3, 64, 64])) },
      "OA-Net input: expected the anomalous-cue input [B,6,H,W] with H, W >= 32, got [1, 3, 64, 64]")
    XCTAssertEqual(
      errorMessage { try AnomalousCue.input(image: .zeros([1, 3, 8, 8]), reconstruction: .zeros([1, 3, 8, 9])) },
      "OA-Net input: anomalous cue needs a face and its reconstruction of one shape [B,3,H,W], got [1, 3, 8, 8] and [1, 3, 8, 9]"
    )
  }
}
