import Foundation
import XCTest

@testable import AGFASFaces

/// How `agfas align` names its outputs: trees mirrored, files by name, collisions refused.
final class AlignmentJobTests: XCTestCase {
  var root: URL!

  override func setUpWithError() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-job-\(UUID().uuidString)")
    for file in [
      "tree/v1/0.png", "tree/v1/1.JPG", "tree/v2/0.jpeg", "tree/notes.txt", "single.png", "clash/x.png", "clash/x.jpg",
    ] {
      let url = root.appendingPathComponent(file)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data().write(to: url)
    }
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

  func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  func testFoldersAreMirroredAndFilesGoByName() throws {
    let job = try AlignmentJob(inputs: [path("tree"), path("single.png")], output: path("out"))
    XCTAssertEqual(job.items.map(\.stem).sorted(), ["single", "v1/0", "v1/1", "v2/0"])
    let item = try XCTUnwrap(job.items.first { $0.stem == "v1/1" })
    XCTAssertEqual(item.input, path("tree/v1/1.JPG"))
    XCTAssertEqual(item.output(face: 0), "v1/1.png")
    XCTAssertEqual(item.output(face: 2), "v1/1_2.png")
  }

  func testCollidingOutputsAndMissingInputsAreRefused() throws {
    XCTAssertThrowsError(try AlignmentJob(inputs: [path("clash")], output: path("out"))) {
      XCTAssertTrue("\($0)".contains("would both be written as x.png"), "\($0)")
    }
    XCTAssertThrowsError(try AlignmentJob(inputs: [path("nope")], output: path("out"))) {
      XCTAssertTrue("\($0)".contains("\(path("nope")) does not exist"), "\($0)")
    }
    XCTAssertThrowsError(try AlignmentJob(inputs: [], output: path("out")))
  }
}
