import AGFASImage
import AGFASTestSupport
import Foundation
import XCTest

@testable import AGFASFaces

/// `agfas align` end to end on a small tree: mirrored aligned PNGs (all faces), faces.json,
/// images without a face and unreadable ones listed, not dropped.
final class AlignCLITests: XCTestCase {
  var root: URL!

  override func setUpWithError() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-align-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root.appendingPathComponent("in/b"), withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

  @discardableResult
  func run(_ args: [String]) throws -> AgfasCLI.Result { try AgfasCLI.run(args) }

  func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  func testAlignsATreeListsFacelessImagesAndWritesFacesJSON() throws {
    let mtcnn = try FaceFixtures.mtcnn()
    let two = try FaceFixtures.image("two_faces")
    try two.writePNG(to: path("in/b/two.png"))
    try FaceFixtures.image("flat").writePNG(to: path("in/flat.png"))
    let result = try run([
      "align", path("in"), "--out", path("out"), "--size", "64", "--all-faces", "--weights", FaceFixtures.weightsFolder,
    ])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("[1/2] \(path("in/b/two.png")): 2 face(s)"), result.stderr)
    XCTAssertTrue(result.stderr.contains("[2/2] no face: \(path("in/flat.png"))"), result.stderr)

    // The largest face as two.png, the other as two_1.png, each the library's alignment.
    let faces = try mtcnn.detect(two)
    for (k, name) in ["out/b/two.png", "out/b/two_1.png"].enumerated() {
      let written = try Image(contentsOfFile: path(name))
      XCTAssertEqual(written, try FaceAlignment.align(two, landmarks: faces[k].landmarks, size: 64).image, name)
    }
    let report = try JSONDecoder().decode(
      AlignmentReport.self, from: Data(contentsOf: URL(fileURLWithPath: path("out/faces.json"))))
    XCTAssertEqual(report.images.map(\.input), [path("in/b/two.png")])
    XCTAssertEqual(report.images.first?.faces.map(\.aligned), ["b/two.png", "b/two_1.png"])
    XCTAssertEqual(report.images.first?.faces.map(\.box), faces.map(\.box.corners))
    XCTAssertEqual(report.noFace, [path("in/flat.png")])
    XCTAssertEqual(report.failed, [])
    XCTAssertEqual(report.size, 64)
  }

  /// A video's frames are aligned as `<name>/<k>.png` and reported as `<name>.mkv#k`; this
  /// lossless clip (Tests/AGFASVideoTests/Fixtures) holds no face, so every kept frame is listed.
  func testVideoFramesAreAlignedFrameByFrame() throws {
    let video = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("AGFASVideoTests/Fixtures/lossless.mkv").path
    let result = try run([
      "align", video, "--out", path("out"), "--every", "3", "--weights", FaceFixtures.weightsFolder,
    ])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("0 image(s) and 1 video(s)"), result.stderr)
    let report = try JSONDecoder().decode(
      AlignmentReport.self, from: Data(contentsOf: URL(fileURLWithPath: path("out/faces.json"))))
    XCTAssertEqual(report.noFace, ["#1", "#4", "#7"].map { video + $0 })
    let bad = try run(["align", video, "--out", path("out"), "--every", "0", "--weights", FaceFixtures.weightsFolder])
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.stderr.contains("every 0 must be at least 1"), bad.stderr)
  }

  func testUnreadableImagesAreReportedAndFailTheRun() throws {
    try Data("not an image".utf8).write(to: URL(fileURLWithPath: path("in/broken.jpg")))
    let result = try run([
      "align", path("in/broken.jpg"), "--out", path("out"), "--weights", FaceFixtures.weightsFolder,
    ])
    XCTAssertEqual(result.status, 1, result.stderr)
    XCTAssertTrue(result.stderr.contains("failed: \(path("in/broken.jpg"))"), result.stderr)
    let report = try JSONDecoder().decode(
      AlignmentReport.self, from: Data(contentsOf: URL(fileURLWithPath: path("out/faces.json"))))
    XCTAssertEqual(report.failed.map(\.input), [path("in/broken.jpg")])
  }

  func testBadOptionsAndMissingWeightsAreExplained() throws {
    let bad = try run(["align", path("in"), "--out", path("out"), "--thresholds", "0.6,0.7"])
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.stderr.contains("--thresholds must be three numbers"), bad.stderr)
    try FaceFixtures.image("flat").writePNG(to: path("in/flat.png"))
    let missing = try run(["align", path("in"), "--out", path("out"), "--weights", "/nonexistent"])
    XCTAssertNotEqual(missing.status, 0)
    XCTAssertTrue(missing.stderr.contains("/nonexistent/pnet.pt not found"), missing.stderr)
    let empty = try run(["align", path("in/b"), "--out", path("out")])
    XCTAssertTrue(empty.stderr.contains("no images (.png/.jpg/.jpeg) or videos under"), empty.stderr)
  }
}
