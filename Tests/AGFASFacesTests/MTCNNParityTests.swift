import AGFASImage
import Foundation
import XCTest

@testable import AGFASFaces

/// MTCNN against facenet-pytorch 2.6.0's `MTCNN(keep_all=True).detect(img, landmarks=True)`
/// on real photos and images derived from them (scripts/make_faces_fixtures.py): the same
/// faces in the same order (largest first), boxes and landmarks within 1 px, probabilities
/// within 1e-4.
final class MTCNNParityTests: XCTestCase {
  func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let cases = try XCTUnwrap(FaceFixtures.json["cases"] as? [String: [String: Any]])
    let entry = try XCTUnwrap(cases[name], "no case \(name) in faces.json")
    let mtcnn = try FaceFixtures.mtcnn()
    let image = try FaceFixtures.image(name)
    let (sum, weighted) = FaceFixtures.checksums(image)
    XCTAssertEqual([image.width, image.height], [entry["width"], entry["height"]].map { ($0 as? NSNumber)?.intValue })
    XCTAssertEqual(sum, (entry["sum"] as? NSNumber)?.intValue, "\(name): rebuilt image differs from the script's")
    XCTAssertEqual(weighted, (entry["weighted"] as? NSNumber)?.intValue, "\(name): rebuilt image differs")
    let options = try JSONDecoder().decode(
      DetectionOptions.self, from: JSONSerialization.data(withJSONObject: entry["options"] ?? [:]))
    let expected = (entry["faces"] as? [[String: Any]] ?? []).map(ReferenceFace.init)

    let faces = try mtcnn.with(options: options).detect(image)

    XCTAssertEqual(faces.count, expected.count, "\(name): number of faces", file: file, line: line)
    for (i, (face, ref)) in zip(faces, expected).enumerated() {
      let boxError = zip(face.box.corners, ref.box).map { abs($0 - $1) }.max() ?? .infinity
      let points = face.landmarks.flatMap { [$0.x, $0.y] }
      let pointError = zip(points, ref.landmarks.flatMap { $0 }).map { abs($0 - $1) }.max() ?? .infinity
      XCTAssertLessThanOrEqual(
        boxError, 1, "\(name) face \(i): box \(face.box.corners) vs \(ref.box)", file: file, line: line)
      XCTAssertLessThanOrEqual(pointError, 1, "\(name) face \(i): landmarks", file: file, line: line)
      XCTAssertEqual(face.score, ref.score, accuracy: 1e-4, "\(name) face \(i): probability", file: file, line: line)
      print(
        "\(name) face \(i): box error \(boxError) px, landmark error \(pointError) px, p error \(abs(face.score - ref.score))"
      )
    }
  }

  func testAstronautPhotoMatchesFacenet() throws { try check("astronaut") }
  func testGreyCameramanPhotoMatchesFacenet() throws { try check("camera") }
  func testPadded640x480MatchesFacenet() throws { try check("padded640x480") }
  func testTwoFacesComeLargestFirstAsFacenetOrdersThem() throws { try check("two_faces") }
  func testGreyVersionMatchesFacenet() throws { try check("grey") }
  func testBackgroundCropHasNoFace() throws { try check("background") }
  func testFlatImageHasNoCandidateAtAll() throws { try check("flat") }
  func testOtherThresholdsMinSizeAndFactorMatchFacenet() throws { try check("astronaut_tuned") }
}
