import AGFASEngine
import AGFASNN
import AGFASOANet
import AGFASTestSupport
import AGFASTraining
import XCTest

/// No oneDNN reference kernel runs in SSDG training of the tiny OA-Net, in fp32 and bf16, at the
/// ISA level the process runs at: CI runs this suite at the host's level and capped with
/// `ONEDNN_MAX_CPU_ISA=AVX512_CORE` and `=AVX2`.
final class TrainingHotPathTests: XCTestCase {
  /// One `SSDGUpdate` (train-mode forward, the three losses, backward, SGD) as `Trainer` runs
  /// it every iteration, then the eval-mode forward its validation runs.
  func testSSDGStepAndValidationRunNoReferenceKernel() throws {
    let data = try TinyDataset(domains: ["O", "C", "I"])
    defer { data.remove() }
    var frames: [TrainingFrame] = []
    for (d, name) in ["O", "C", "I"].enumerated() {
      frames += try FolderDataset.frames(data: data.data, reconstructions: data.reconstructions, domain: name, index: d)
    }
    let batch = try BatchLoader.load(frames.map { SampledFrame(frame: $0, flipped: false) })
    let input = try AnomalousCue.input(image: batch.images, reconstruction: batch.reconstructions)
    try assertNoReferenceKernels("SSDG step and validation") { dtype in
      let model = try OANet(config: TinyDataset.tinyConfig, seed: 5)
      let discriminator = try DomainDiscriminator(config: TinyDataset.tinyConfig, seed: 6)
      let optimizer = try SGD(
        parameters: model.store.trainable + discriminator.store.trainable, learningRate: 0.05, momentum: 0.9,
        weightDecay: 5e-4)
      let update = SSDGUpdate(
        model: model, discriminator: discriminator, optimizer: optimizer,
        precision: TrainingPrecision(computeType: dtype))
      let (terms, updated) = try update(
        input, labels: batch.labels, domains: batch.domains, reversal: 0.3,
        dropout: .random(TorchGenerator(seed: 3)))
      XCTAssertTrue(terms.total.toArray()[0].isFinite)
      XCTAssertEqual(updated, optimizer.parameters.count - 2, "all but the unused pooler")
      let scores = try update.inference { try model(input, training: false).logits }
      XCTAssertEqual(scores.dtype, dtype)
    }
  }
}
