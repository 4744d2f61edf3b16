import AGFASEngine
import AGFASImage
import Foundation
import XCTest

@testable import AGFASFaces

/// Similarity estimation (Umeyama) and the bilinear warp, against scikit-image 0.26's
/// SimilarityTransform + warp(order=1, mode="constant", cval=0) in float64.
final class AlignmentTests: XCTestCase {
  var alignment: [String: [String: Any]] { FaceFixtures.json["alignment"] as? [String: [String: Any]] ?? [:] }

  func testUmeyamaRecoversAKnownSimilarityFromSyntheticPoints() throws {
    let truth = SimilarityTransform(scale: 1.7, rotation: -0.4, tx: 31.5, ty: -12.25)
    let source: [(x: Double, y: Double)] = [(10, 20), (55, 18), (33, 47), (15, 70), (60, 72), (-4, 3)]
    let target = source.map { truth.apply($0.x, $0.y) }
    let fit = try SimilarityTransform.estimate(from: source, to: target)
    for (a, b) in zip([fit.a, fit.b, fit.tx, fit.ty], [truth.a, truth.b, truth.tx, truth.ty]) {
      XCTAssertEqual(a, b, accuracy: 1e-12)
    }
    XCTAssertEqual(fit.scale, 1.7, accuracy: 1e-12)
    XCTAssertEqual(fit.rotation, -0.4, accuracy: 1e-12)
    let back = try XCTUnwrap(fit.inverse).apply(target[2].x, target[2].y)
    XCTAssertEqual(back.x, 33, accuracy: 1e-12)
    XCTAssertEqual(back.y, 47, accuracy: 1e-12)
  }

  /// Mirrored targets are best fitted by a reflection; the estimate must stay a rotation.
  func testUmeyamaNeverReflects() throws {
    let source: [(x: Double, y: Double)] = [(0, 0), (10, 0), (0, 10), (7, 7)]
    let fit = try SimilarityTransform.estimate(from: source, to: source.map { (-$0.x, $0.y) })
    XCTAssertGreaterThan(fit.scale, 0)
    XCTAssertEqual(fit.matrix[0][0], fit.matrix[1][1])
    XCTAssertEqual(fit.matrix[0][1], -fit.matrix[1][0])
  }

  func testUmeyamaMatchesScikitImageOnDetectedLandmarks() throws {
    for name in ["astronaut", "small_face"] {
      let entry = try XCTUnwrap(alignment[name])
      let landmarks = (entry["landmarks"] as? [[NSNumber]] ?? []).map { (x: $0[0].doubleValue, y: $0[1].doubleValue) }
      let size = (entry["size"] as? NSNumber)?.intValue ?? 0
      let fit = try SimilarityTransform.estimate(from: landmarks, to: FaceTemplate.agfas.pixels(size: size))
      let expected = (entry["matrix"] as? [[NSNumber]] ?? []).map { $0.map(\.doubleValue) }
      for (row, ref) in zip(fit.matrix, expected) {
        for (a, b) in zip(row, ref) { XCTAssertEqual(a, b, accuracy: 1e-9 * Swift.max(1, abs(b)), name) }
      }
    }
  }

  /// Ours rounds the interpolated value to 8 bits; scikit-image's is the unrounded float64, so
  /// every sample must be within 0.5 (+1e-6 for float64 evaluation order, the stored fp32).
  func checkWarp(_ name: String, image: Image, transform: SimilarityTransform, size: Int) throws {
    let ours = try FaceAlignment.warp(image, transform, width: size, height: size)
    let reference = try FaceFixtures.tensors.tensor("align/\(name)").toArray()
    XCTAssertEqual(reference.count, ours.pixels.count)
    let errors = zip(ours.pixels, reference).map { abs(Float($0) - $1) }
    XCTAssertLessThanOrEqual(errors.max() ?? .infinity, 0.5 + 1e-4, "\(name): worst sample")
  }

  func testAstronautAlignmentMatchesScikitImageWarp() throws {
    let entry = try XCTUnwrap(alignment["astronaut"])
    let landmarks = (entry["landmarks"] as? [[NSNumber]] ?? []).map {
      FacePoint(x: $0[0].floatValue, y: $0[1].floatValue)
    }
    let aligned = try FaceAlignment.align(try FaceFixtures.photo("astronaut.png"), landmarks: landmarks, size: 128)
    try checkWarp("astronaut", image: try FaceFixtures.photo("astronaut.png"), transform: aligned.transform, size: 128)
    XCTAssertEqual(aligned.image.width, 128)
    // Least squares with a free translation puts the landmarks' centroid on the template's.
    let mapped = landmarks.map { aligned.transform.apply(Double($0.x), Double($0.y)) }
    let template = FaceTemplate.agfas.pixels(size: 128)
    XCTAssertEqual(mapped.map(\.x).reduce(0, +), template.map(\.x).reduce(0, +), accuracy: 1e-9)
    XCTAssertEqual(mapped.map(\.y).reduce(0, +), template.map(\.y).reduce(0, +), accuracy: 1e-9)
  }

  func testMagnifyingASmallFaceMatchesScikitImageWarp() throws {
    let entry = try XCTUnwrap(alignment["small_face"])
    let landmarks = (entry["landmarks"] as? [[NSNumber]] ?? []).map {
      FacePoint(x: $0[0].floatValue, y: $0[1].floatValue)
    }
    let image = try FaceFixtures.image("two_faces")
    let aligned = try FaceAlignment.align(image, landmarks: landmarks, size: 64)
    try checkWarp("small_face", image: image, transform: aligned.transform, size: 64)
  }

  /// Parts of the crop that map outside the photo are black; pixels next to the edge blend
  /// with black (constant border per neighbour), as scikit-image and OpenCV do.
  func testBorderIsConstantBlackLikeScikitImage() throws {
    let entry = try XCTUnwrap(alignment["border"])
    let m = (entry["matrix"] as? [[NSNumber]] ?? []).map { $0.map(\.doubleValue) }
    let transform = SimilarityTransform(a: m[0][0], b: m[1][0], tx: m[0][2], ty: m[1][2])
    try checkWarp("border", image: try FaceFixtures.photo("astronaut.png"), transform: transform, size: 64)
    let out = try FaceAlignment.warp(try FaceFixtures.photo("astronaut.png"), transform, width: 64, height: 64)
    XCTAssertEqual(out[x: 0, y: 0, channel: 0], 0)
    XCTAssertGreaterThan(out.pixels.filter { $0 == 0 }.count, 64 * 3)
  }

  func testBadAlignmentInputsAreExplained() throws {
    let image = try Image(width: 8, height: 8, channels: 3)
    let two = [FacePoint(x: 1, y: 1), FacePoint(x: 2, y: 2)]
    XCTAssertThrowsError(try FaceAlignment.align(image, landmarks: two)) {
      XCTAssertTrue("\($0)".contains("2 landmarks for a template of 5 points"), "\($0)")
    }
    let same = [FacePoint](repeating: FacePoint(x: 3, y: 3), count: 5)
    XCTAssertThrowsError(try FaceAlignment.align(image, landmarks: same)) {
      XCTAssertTrue("\($0)".contains("landmarks coincide"), "\($0)")
    }
    XCTAssertThrowsError(try FaceAlignment.align(image, landmarks: same, size: 0)) {
      XCTAssertTrue("\($0)".contains("crop size 0"), "\($0)")
    }
  }
}
