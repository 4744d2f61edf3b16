import AGFASBench
import AGFASDFG
import AGFASDiffusion
import AGFASEngine
import Foundation
import XCTest

/// The parts of `agfas bench dfg` that are not timings: the model folder it writes for the
/// `agfas reconstruct` runs, and the tables it derives.
final class DFGBenchTests: XCTestCase {
  /// The folder `writeModels` writes loads back, in the reference layout, with every weight
  /// and the scheduler config unchanged.
  func testWrittenModelsLoadBackUnchanged() throws {
    let models = DFGPipelineTests.fixtures.appendingPathComponent("models").path
    let paths = DFGModelPaths(models: models)
    let source = try DFGPipeline.load(paths)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-bench-models-\(UUID())").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try ReconstructRunBenchmark.writeModels(
      unet: source.unetParameters!, try UNetConfig.load(paths.unet + "/config.json"), vae: source.vaeParameters!,
      try AutoencoderKLConfig.load(paths.vae + "/config.json"), identity: source.identity, to: folder)
    let copy = try DFGPipeline.load(DFGModelPaths(models: folder))
    XCTAssertEqual(copy.schedulerConfig, source.schedulerConfig)
    for (a, b) in [
      (source.unetParameters!, copy.unetParameters!), (source.vaeParameters!, copy.vaeParameters!),
      (source.identity.store, copy.identity.store),
    ] {
      XCTAssertEqual(a.all.map(\.path), b.all.map(\.path))
      for (p, q) in zip(a.all, b.all) { XCTAssertEqual(p.value.toArray(), q.value.toArray(), p.path) }
    }
  }

  func testTableShowsEachPeerAndOurSpeedUp() {
    let ours = [BenchResult(op: "unet step b1", dtype: "fp32", seconds: 1, gflop: 179)]
    let torch = [BenchResult(op: "unet step b1", dtype: "fp32", seconds: 2, gflop: 179)]
    let vino = [BenchResult(op: "unet step b1", dtype: "fp32", seconds: 0.8, gflop: 179)]
    let lines = benchTable(ours: ours, peers: [("torch", torch), ("openvino", vino), ("none", [])])
      .split(separator: "\n")
    XCTAssertEqual(lines.count, 2)
    XCTAssertTrue(lines[0].contains("vs torch") && lines[0].contains("vs openvino") && !lines[0].contains("none"))
    let cells = lines[1].split(separator: " ")
    XCTAssertEqual(
      cells, ["unet", "step", "b1", "fp32", "1000.00", "179.0", "2000.00", "89.5", "2.00x", "800.00", "223.8", "0.80x"])
  }

  /// Shares of the peak use our best convolution of the dtype; peers' parts share our peak.
  func testPeakSharesAndRunRows() {
    let ours = [
      BenchResult(op: "conv3x3 320->320 1x32x32", dtype: "fp32", seconds: 1, gflop: 100),
      BenchResult(op: "conv3x3 320->320 4x32x32", dtype: "fp32", seconds: 1, gflop: 200),
      BenchResult(op: "unet step b1", dtype: "fp32", seconds: 1, gflop: 170),
    ]
    let vino = [BenchResult(op: "unet step b1", dtype: "fp32", seconds: 1, gflop: 190)]
    let text = DFGBenchReport.peakRatios(ours: ours, peers: [("torch", []), ("openvino", vino)])
    XCTAssertTrue(text.contains("fp32 peak: 200.0 GFLOP/s (ours, conv3x3 320->320 4x32x32)"), text)
    XCTAssertEqual(text.split(separator: "\n").last?.split(separator: " "), ["unet", "step", "b1", "85%", "95%"])

    func run(_ batch: Int, seconds: Double, steady: Double?) -> ReconstructionStats {
      ReconstructionStats(
        precision: "fp32", batch: batch, written: batch, failed: 0, launchToModelsSeconds: 2,
        launchToFirstStepSeconds: 3, reconstructionSeconds: seconds, steadyFacesPerHour: steady,
        peakResidentBytes: 6 << 30, weightBytes: 4 << 30)
    }
    // Batch 1 ran one batch (no steady rate: the whole run's counts); batch 4 ran two.
    let rows = DFGBenchReport.runs([run(1, seconds: 36, steady: nil), run(4, seconds: 72, steady: 250)])
      .split(separator: "\n")
    XCTAssertEqual(
      rows[2].split(separator: " "), ["fp32", "1", "100.0", "1.00x", "100.0", "2.0", "3.0", "6.00", "4.00", "1.50"])
    XCTAssertEqual(
      rows[3].split(separator: " "), ["fp32", "4", "250.0", "2.50x", "200.0", "2.0", "3.0", "6.00", "4.00", "1.50"])
  }
}
