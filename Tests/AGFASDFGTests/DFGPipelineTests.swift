import AGFASCheckpoint
import AGFASDFG
import AGFASDiffusion
import AGFASEngine
import AGFASImage
import AGFASNN
import AGFASTestSupport
import Foundation
import XCTest

/// The whole DFG reconstruction against diffusers 0.16.1 running the AG-FAS loop on tiny random
/// models (scripts/make_dfg_pipeline_fixtures.py): same seeds, same draws, same images.
final class DFGPipelineTests: XCTestCase {
  let fx = try! Fixture("pipeline")

  static let fixtures = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().appendingPathComponent(
    "Fixtures")

  func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(XCTUnwrap(fx.file.metadata[key]).utf8))
  }

  /// The tiny models as the reference lays them out: diffusers folders (.bin), a scheduler
  /// config and a torch.save'd backbone.pth, loaded through the same path the CLI uses.
  func makePipeline(precision: DType = .float32) throws -> DFGPipeline {
    try DFGPipeline.load(
      DFGModelPaths(models: Self.fixtures.appendingPathComponent("models").path), precision: precision)
  }

  static func psnr(_ a: Tensor, _ b: Tensor) -> Double {
    let (x, y) = (a.toArray(), b.toArray())
    let mse = zip(x, y).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(x.count)
    return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
  }

  /// Both faces in one batch, each with its own seed, against the reference run face by face.
  func testReconstructionMatchesTheReferencePipelineFP32() throws {
    let pipeline = try makePipeline()
    let faces = try fx.file.tensor("faces")
    let seeds = try decode([UInt64].self, "seeds")
    var steps = 0
    let decoded = try pipeline.reconstruct(faces, seeds: seeds) { done, total in
      steps = done
      XCTAssertEqual(total, 41)
    }
    XCTAssertEqual(steps, 41, "41 UNet calls at strength 801")
    let images = try Image.images(fromBatch: decoded)
    for i in 0..<2 {
      let expected = try fx.file.tensor("face\(i)/decoded")
      // 41 chained UNet calls amplify fp32 summation-order differences; the decoded image
      // stays within 1e-3 and the 8-bit image well above the 40 dB the issue asks for.
      assertClose(
        try decoded.sliced(axis: 0, start: i, end: i + 1), expected, rtol: 1e-3, atol: 1e-3, "face \(i) decoded")
      let image = try images[i].tensor(normalized: .zeroToOne) * 255
      let reference = try fx.file.tensor("face\(i)/image")
      let quality = Self.psnr(image, reference)
      XCTAssertGreaterThanOrEqual(quality, 40, "face \(i) PSNR \(quality) dB")
    }
  }

  func testResultsDoNotDependOnBatching() throws {
    let pipeline = try makePipeline()
    let faces = try fx.file.tensor("faces")
    let together = try pipeline.reconstruct(faces, seeds: [7, 2024])
    let alone = try pipeline.reconstruct(faces.sliced(axis: 0, start: 1, end: 2), seeds: [2024])
    assertClose(try together.sliced(axis: 0, start: 1, end: 2), alone, rtol: 1e-5, atol: 1e-5, "batch vs alone")
  }

  func testBF16ReconstructionStaysCloseToFP32Reference() throws {
    let pipeline = try makePipeline(precision: .bfloat16)
    let faces = try fx.file.tensor("faces")
    let decoded = try pipeline.reconstruct(faces, seeds: decode([UInt64].self, "seeds"))
    let images = try Image.images(fromBatch: decoded)
    for i in 0..<2 {
      let quality = Self.psnr(try images[i].tensor(normalized: .zeroToOne) * 255, try fx.file.tensor("face\(i)/image"))
      // bf16 keeps ~3 significant digits through 41 steps: the bar for bf16 vs fp32 is 35 dB.
      XCTAssertGreaterThanOrEqual(quality, 35, "bf16 face \(i) PSNR \(quality) dB")
    }
  }

  func testBadCallsAreExplained() throws {
    let pipeline = try makePipeline()
    XCTAssertEqual(
      errorMessage { try pipeline.reconstruct(.zeros([1, 3, 32, 32]), seeds: [1, 2]) },
      "DFG reconstruct: 2 seeds for 1 faces")
    XCTAssertTrue(
      errorMessage { try pipeline.reconstruct(.zeros([3, 32, 32]), seeds: [1]) }.hasPrefix("DFG reconstruct: expected"))
    XCTAssertEqual(
      errorMessage { try pipeline.reconstruct(.zeros([1, 3, 32, 32]), seeds: [1], options: .init(strength: 0)) },
      "DFG reconstruct: strength 0 is below every timestep")
  }
}
