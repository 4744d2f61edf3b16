import AGFASDFG
import AGFASEngine
import AGFASImage
import AGFASTestSupport
import Foundation
import XCTest

/// `agfas reconstruct` end to end: real-format model files, a tree of face PNGs, mirrored
/// output PNGs equal to the reference pipeline's, resumption and sharding.
final class ReconstructCLITests: XCTestCase {
  let fixtures = DFGPipelineTests.fixtures
  var out: URL!

  override func setUpWithError() throws {
    out = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-cli-\(UUID().uuidString)")
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: out) }

  @discardableResult
  func run(_ args: [String]) throws -> AgfasCLI.Result { try AgfasCLI.run(args) }

  func reconstruct(_ extra: [String] = []) throws -> AgfasCLI.Result {
    try run(
      [
        "reconstruct", "--models", fixtures.appendingPathComponent("models").path, "--input",
        fixtures.appendingPathComponent("faces").path, "--output", out.path, "--seed", "7",
      ] + extra)
  }

  func testReconstructsATreeLikeTheReferenceAndResumes() throws {
    let fx = try Fixture("pipeline")
    let first = try reconstruct(["--batch", "2", "--precision", "fp32"])
    XCTAssertEqual(first.status, 0, first.stderr)
    for (i, rel) in ["live/v1/0.png", "spoof/v2/0.png"].enumerated() {
      let image = try Image(contentsOfFile: out.appendingPathComponent(rel).path)
      let expected = try fx.file.tensor("cli\(i)/image")
      XCTAssertEqual(
        try image.tensor(normalized: .zeroToOne).multiplying(Tensor(scalar: 255)).toArray().map { $0.rounded() },
        expected.toArray(), rel)
    }
    XCTAssertTrue(first.stderr.contains("2 of 2 faces to reconstruct"), first.stderr)
    XCTAssertTrue(first.stderr.contains("ETA"), first.stderr)
    let again = try reconstruct()
    XCTAssertEqual(again.status, 0)
    XCTAssertTrue(again.stderr.contains("already reconstructed"), again.stderr)
  }

  /// bf16 on a CPU without bf16 kernels (oneDNN capped at AVX2: the engine emulates them)
  /// stays within bf16's bar of the fp32 reference; `auto` picks fp32 there and says why.
  func testBF16ReconstructsOnAVX2WithinBF16Tolerance() throws {
    let fx = try Fixture("pipeline")
    let avx2 = ["ONEDNN_MAX_CPU_ISA": "AVX2"]
    let bf16 = try AgfasCLI.run(
      [
        "reconstruct", "--models", fixtures.appendingPathComponent("models").path, "--input",
        fixtures.appendingPathComponent("faces").path, "--output", out.path, "--seed", "7", "--precision", "bf16",
      ], environment: avx2)
    XCTAssertEqual(bf16.status, 0, bf16.stderr)
    for (i, rel) in ["live/v1/0.png", "spoof/v2/0.png"].enumerated() {
      let image = try Image(contentsOfFile: out.appendingPathComponent(rel).path)
      let quality = DFGPipelineTests.psnr(
        try image.tensor(normalized: .zeroToOne) * 255, try fx.file.tensor("cli\(i)/image"))
      XCTAssertGreaterThanOrEqual(quality, 35, "bf16 at AVX2, \(rel): PSNR \(quality) dB")
    }
    let auto = try AgfasCLI.run(
      [
        "reconstruct", "--models", fixtures.appendingPathComponent("models").path, "--input",
        fixtures.appendingPathComponent("faces").path, "--output", out.path + "-auto", "--seed", "7",
      ], environment: avx2)
    defer { try? FileManager.default.removeItem(atPath: out.path + "-auto") }
    XCTAssertEqual(auto.status, 0, auto.stderr)
    XCTAssertEqual(auto.stderr.components(separatedBy: "precision auto: fp32").count - 1, 1, auto.stderr)
  }

  /// `--stats` reports what the run cost: the faces, the start-up after exec, faces per hour
  /// from its own clock, the peak memory and the weights' size as the pipeline holds them.
  func testStatsReportStartUpThroughputAndMemory() throws {
    let stats = out.path + "-stats.json"
    defer { try? FileManager.default.removeItem(atPath: stats) }
    let result = try reconstruct(["--batch", "2", "--precision", "fp32", "--stats", stats])
    XCTAssertEqual(result.status, 0, result.stderr)
    let r = try JSONDecoder().decode(ReconstructionStats.self, from: Data(contentsOf: URL(fileURLWithPath: stats)))
    XCTAssertEqual([r.precision, "\(r.batch)", "\(r.written)", "\(r.failed)"], ["fp32", "2", "2", "0"])
    let pipeline = try DFGPipeline.load(DFGModelPaths(models: fixtures.appendingPathComponent("models").path))
    let expected = [pipeline.unetParameters!, pipeline.vaeParameters!, pipeline.identity.store].reduce(0) {
      $0 + $1.all.reduce(0) { $0 + Shape.count($1.shape) * 4 }
    }
    XCTAssertEqual(r.weightBytes, expected)
    XCTAssertGreaterThan(r.peakResidentBytes, r.weightBytes)
    XCTAssertGreaterThan(r.launchToModelsSeconds, 0)
    let firstStep = try XCTUnwrap(r.launchToFirstStepSeconds)
    XCTAssertGreaterThanOrEqual(firstStep, r.launchToModelsSeconds)
    XCTAssertGreaterThan(r.reconstructionSeconds, 0)
    XCTAssertEqual(r.facesPerHour, 2 * 3600 / r.reconstructionSeconds, accuracy: 1e-9)
    XCTAssertEqual(r.memoryRatio, Double(r.peakResidentBytes) / Double(expected), accuracy: 1e-12)
    // Two faces in one batch: no rate after a first batch. With --batch 1, the second face's.
    XCTAssertNil(r.steadyFacesPerHour)
    XCTAssertTrue(result.stderr.contains("faces/hour; peak memory"), result.stderr)
    XCTAssertTrue(result.stderr.contains("first UNet step done"), result.stderr)
    try FileManager.default.removeItem(at: out)
    let single = try reconstruct(["--batch", "1", "--precision", "fp32", "--stats", stats])
    XCTAssertEqual(single.status, 0, single.stderr)
    let s = try JSONDecoder().decode(ReconstructionStats.self, from: Data(contentsOf: URL(fileURLWithPath: stats)))
    let steady = try XCTUnwrap(s.steadyFacesPerHour)
    // The second face's own rate: positive, and within 20x of the whole run's.
    XCTAssertGreaterThan(steady, 0)
    XCTAssertLessThan(steady, 2 * 3600 / s.reconstructionSeconds * 20)
    XCTAssertTrue(single.stderr.contains("after the first batch"), single.stderr)
  }

  func testShardsSplitTheTree() throws {
    XCTAssertEqual(try reconstruct(["--shard", "1/2"]).status, 0)
    let written = FileManager.default.enumerator(atPath: out.path)?.compactMap { $0 as? String }.filter {
      $0.hasSuffix(".png")
    }
    XCTAssertEqual(written, ["spoof/v2/0.png"])
  }

  func testMissingModelsAndBadOptionsAreExplained() throws {
    let missing = try run(["reconstruct", "--models", "/nonexistent", "--input", "x", "--output", out.path])
    XCTAssertNotEqual(missing.status, 0)
    XCTAssertTrue(
      missing.stderr.contains("ArcFace backbone.pth: /nonexistent/backbone.pth (set with --arcface or --models)"),
      missing.stderr)
    let bad = try reconstruct(["--precision", "fp16"])
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.stderr.contains("--precision must be auto, fp32 or bf16, not 'fp16'"), bad.stderr)
    let shard = try reconstruct(["--shard", "2/2"])
    XCTAssertTrue(shard.stderr.contains("0 <= i < n"), shard.stderr)
  }
}
