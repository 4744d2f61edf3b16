import AGFASEngine
import AGFASTestSupport
import XCTest

@testable import AGFASFaces

/// PNet, RNet and ONet with facenet-pytorch's real weights against its modules on
/// astronaut-derived inputs (odd PNet size: ceil-mode pooling edges; RNet/ONet: the
/// (0,3,2,1) flattening before the dense layers). fp32, atol 2e-5 / rtol 1e-4: three or four
/// conv layers and two dense ones, summed in oneDNN's order rather than PyTorch's.
final class MTCNNNetworkTests: XCTestCase {
  func testPNetMatchesFacenet() throws {
    let (mtcnn, fx) = (try FaceFixtures.mtcnn(), try FaceFixtures.tensors)
    let (reg, prob) = try withoutGrad { try mtcnn.pnet(try fx.tensor("nets/pnet/in").channelsLast()) }
    assertClose(reg, try fx.tensor("nets/pnet/regression"), rtol: 1e-4, atol: 2e-5, "pnet regression")
    assertClose(prob, try fx.tensor("nets/pnet/probabilities"), rtol: 1e-4, atol: 2e-5, "pnet probabilities")
  }

  func testRNetMatchesFacenet() throws {
    let (mtcnn, fx) = (try FaceFixtures.mtcnn(), try FaceFixtures.tensors)
    let (reg, prob) = try withoutGrad { try mtcnn.rnet(try fx.tensor("nets/rnet/in")) }
    assertClose(reg, try fx.tensor("nets/rnet/regression"), rtol: 1e-4, atol: 2e-5, "rnet regression")
    assertClose(prob, try fx.tensor("nets/rnet/probabilities"), rtol: 1e-4, atol: 2e-5, "rnet probabilities")
  }

  func testONetMatchesFacenetIncludingLandmarks() throws {
    let (mtcnn, fx) = (try FaceFixtures.mtcnn(), try FaceFixtures.tensors)
    let (reg, points, prob) = try withoutGrad { try mtcnn.onet(try fx.tensor("nets/onet/in").channelsLast()) }
    assertClose(reg, try fx.tensor("nets/onet/regression"), rtol: 1e-4, atol: 2e-5, "onet regression")
    assertClose(points, try fx.tensor("nets/onet/landmarks"), rtol: 1e-4, atol: 2e-5, "onet landmarks")
    assertClose(prob, try fx.tensor("nets/onet/probabilities"), rtol: 1e-4, atol: 2e-5, "onet probabilities")
  }

  func testWeightsThatDoNotFitAreNamed() throws {
    XCTAssertThrowsError(try MTCNN(pnet: [:], rnet: [:], onet: [:])) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("MTCNN weights: PNet does not fit"), text)
      XCTAssertTrue(text.contains("conv1.weight"), text)
    }
    XCTAssertThrowsError(try MTCNN(weightsFolder: "/nonexistent")) { error in
      XCTAssertTrue("\(error)".contains("/nonexistent/pnet.pt not found"), "\(error)")
      XCTAssertTrue("\(error)".contains("agfas models fetch mtcnn"), "\(error)")
    }
  }

  func testOptionsAreValidatedWithTheirValues() throws {
    let bad: [(DetectionOptions, String)] = [
      (DetectionOptions(minFaceSize: 0), "min face size 0.0"),
      (DetectionOptions(thresholds: [0.6, 0.7]), "thresholds [0.6, 0.7]"),
      (DetectionOptions(thresholds: [0.6, 1.5, 0.7]), "in [0, 1]"),
      (DetectionOptions(scaleFactor: 1), "scale factor 1.0"),
    ]
    for (options, message) in bad {
      XCTAssertThrowsError(try options.validate()) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
    }
  }

  func testPyramidScalesFollowFacenet() {
    // 512 px, min face 20: 0.6, 0.6*0.709, ... while 512 * scale >= 12.
    let scales = DetectionOptions().pyramidScales(shortSide: 512)
    XCTAssertEqual(scales.count, 10)
    XCTAssertEqual(scales[0], 0.6)
    XCTAssertEqual(scales[1], 0.6 * 0.709)
    XCTAssertGreaterThanOrEqual(512 * scales.last!, 12)
    XCTAssertLessThan(512 * scales.last! * 0.709, 12)
    XCTAssertEqual(DetectionOptions().pyramidScales(shortSide: 11), [])
  }
}
