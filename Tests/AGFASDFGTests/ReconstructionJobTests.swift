import AGFASDFG
import Foundation
import XCTest

/// Planning a reconstruction run: mirrored output tree, deterministic shards, resumability.
final class ReconstructionJobTests: XCTestCase {
  var root: URL!

  override func setUpWithError() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-job-\(UUID().uuidString)")
    for path in [
      "in/msu/real/v1/1.png", "in/msu/real/v1/2.png", "in/msu/attack/v9/10.jpg", "in/readme.txt", "in/x.PNG",
    ] {
      let url = root.appendingPathComponent(path)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data([0]).write(to: url)
    }
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

  func testASingleImageMapsToOneOutput() throws {
    let job = try ReconstructionJob(input: root.appendingPathComponent("in/msu/attack/v9/10.jpg").path, output: "/o")
    XCTAssertEqual(job.items.map(\.output), ["/o/10.png"])
  }

  func testOutputsMirrorTheInputTreeAsPNG() throws {
    let job = try ReconstructionJob(
      input: root.appendingPathComponent("in").path, output: root.appendingPathComponent("out").path)
    let rel = job.items.map { String($0.output.dropFirst(root.path.count + 1)) }
    XCTAssertEqual(rel, ["out/msu/attack/v9/10.png", "out/msu/real/v1/1.png", "out/msu/real/v1/2.png", "out/x.png"])
  }

  func testShardsPartitionTheWorkDeterministically() throws {
    let input = root.appendingPathComponent("in").path
    let out = root.appendingPathComponent("out").path
    let all = try ReconstructionJob(input: input, output: out).items
    let parts = try (0..<3).map {
      try ReconstructionJob(input: input, output: out, shard: .init(parsing: "\($0)/3")).items
    }
    XCTAssertEqual(parts.flatMap { $0 }.sorted { $0.input < $1.input }, all)
    XCTAssertEqual(parts.map(\.count), [2, 1, 1])
  }

  func testFinishedOutputsAreSkipped() throws {
    let job = try ReconstructionJob(
      input: root.appendingPathComponent("in").path, output: root.appendingPathComponent("out").path)
    let done = URL(fileURLWithPath: job.items[1].output)
    try FileManager.default.createDirectory(at: done.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data([1]).write(to: done)
    XCTAssertEqual(job.pending.count, 3)
    XCTAssertFalse(job.pending.contains(job.items[1]))
  }

  func testBadArgumentsAreExplained() {
    XCTAssertThrowsError(try ReconstructionJob.Shard(parsing: "3/3")) { XCTAssertTrue("\($0)".contains("0 <= i < n")) }
    XCTAssertThrowsError(try ReconstructionJob.Shard(parsing: "a")) { XCTAssertTrue("\($0)".contains("--shard 'a'")) }
    XCTAssertThrowsError(try ReconstructionJob(input: "/no/such", output: "/tmp")) {
      XCTAssertEqual("\($0)", "input /no/such does not exist")
    }
    let empty = root.appendingPathComponent("empty")
    try? FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    XCTAssertThrowsError(try ReconstructionJob(input: empty.path, output: root.path)) {
      XCTAssertTrue("\($0)".hasPrefix("no .png/.jpg/.jpeg images under"))
    }
  }
}
