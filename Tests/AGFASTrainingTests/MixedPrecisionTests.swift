import AGFASEngine
import AGFASNN
import AGFASOANet
import AGFASTraining
import Foundation
import XCTest

/// bf16 training: bf16 compute over fp32 master weights. The fp32 step is proven against
/// PyTorch (AGFASOANetTests); here the bf16 step must follow it within bf16's precision,
/// update every parameter the fp32 step updates (the re-normalised classifier included), and
/// leave weights, momentum buffers and BatchNorm statistics in fp32.
final class MixedPrecisionTests: XCTestCase {
  struct Outcome {
    let before: [String: [Float]]
    let update: SSDGUpdate
    let terms: SSDGLossTerms
    let updated: Int
  }

  func step(_ precision: TrainingPrecision, input: Tensor, labels: [Int], domains: [Int]) throws -> Outcome {
    let model = try OANet(config: TinyDataset.tinyConfig, seed: 5)
    let discriminator = try DomainDiscriminator(config: TinyDataset.tinyConfig, seed: 6)
    let optimizer = try SGD(
      parameters: model.store.trainable + discriminator.store.trainable, learningRate: 0.05, momentum: 0.9,
      weightDecay: 5e-4)
    let update = SSDGUpdate(model: model, discriminator: discriminator, optimizer: optimizer, precision: precision)
    let before = Dictionary(uniqueKeysWithValues: optimizer.parameters.map { ($0.path, $0.value.toArray()) })
    let (terms, updated) = try update(
      input, labels: labels, domains: domains, reversal: 0.3, dropout: .random(TorchGenerator(seed: 3)))
    return Outcome(before: before, update: update, terms: terms, updated: updated)
  }

  func testBF16StepFollowsTheFP32StepAndKeepsFP32State() throws {
    let data = try TinyDataset(domains: ["O", "C", "I"])
    defer { data.remove() }
    var frames: [TrainingFrame] = []
    for (d, name) in ["O", "C", "I"].enumerated() {
      frames += try FolderDataset.frames(
        data: data.data, reconstructions: data.reconstructions, domain: name, index: d)
    }
    let batch = try BatchLoader.load(frames.map { SampledFrame(frame: $0, flipped: false) })
    let input = try AnomalousCue.input(image: batch.images, reconstruction: batch.reconstructions)
    let full = try step(.fp32, input: input, labels: batch.labels, domains: batch.domains)
    let mixed = try step(.bf16, input: input, labels: batch.labels, domains: batch.domains)

    XCTAssertEqual(mixed.updated, full.updated, "bf16 must update the parameters fp32 updates")
    XCTAssertEqual(full.updated, full.update.optimizer.parameters.count - 2, "all but the unused pooler")
    XCTAssertNotEqual(mixed.terms.total.toArray(), full.terms.total.toArray(), "the forward ran in bf16")
    for (name, a, b) in [
      ("cls", full.terms.classification, mixed.terms.classification),
      ("triplet", full.terms.triplet, mixed.terms.triplet),
      ("adv", full.terms.adversarial, mixed.terms.adversarial), ("total", full.terms.total, mixed.terms.total),
    ] {
      let (x, y) = (a.toArray()[0], b.toArray()[0])
      XCTAssertEqual(y, x, accuracy: 0.02 * abs(x) + 2e-3, "loss \(name)")
    }
    // Per-tensor gradient errors are checked against torch.autocast's in AGFASOANetTests; here
    // the whole update, dominated by the heads, must agree closely.
    var (sumSquaredError, sumSquared): (Double, Double) = (0, 0)
    for p in full.update.optimizer.parameters {
      let q = try XCTUnwrap(mixed.update.optimizer.parameters.first { $0.path == p.path })
      XCTAssertEqual(q.value.dtype, .float32, "\(q.path) master")
      let before = try XCTUnwrap(full.before[p.path])
      for (i, (a, b)) in zip(p.value.toArray(), q.value.toArray()).enumerated() {
        let (da, db) = (Double(a - before[i]), Double(b - before[i]))
        sumSquaredError += (db - da) * (db - da)
        sumSquared += da * da
      }
    }
    XCTAssertLessThan((sumSquaredError / sumSquared).squareRoot(), 0.01, "the whole update")

    // The classifier took its step on the normalised fp32 weight.
    let classifier = mixed.update.model.classifier.linear.weight
    XCTAssertEqual(classifier.value.dtype, .float32)
    XCTAssertNotEqual(classifier.value.toArray(), mixed.before[classifier.path], "the classifier took no step")
    for p in mixed.update.model.store.all where !p.trainable {
      XCTAssertEqual(p.value.dtype, .float32, "buffer \(p.path) stays fp32")
    }
    for (path, buffer) in mixed.update.optimizer.momentumBuffers {
      XCTAssertEqual(buffer.dtype, .float32, "momentum of \(path)")
    }
  }

  /// `agfas train --precision bf16`: the run keeps fp32 state, its resume is bit-identical,
  /// and a checkpoint of one precision does not resume in the other.
  func testBF16TrainingResumesBitIdenticallyAndKeepsItsPrecision() throws {
    let data = try TinyDataset(domains: ["O", "C", "I", "M"])
    defer { data.remove() }
    var options = TrainingOptions()
    options.iterations = 6
    options.perClass = 2
    options.learningRate = 0.05
    options.validateEvery = 3
    options.checkpointEvery = 2
    options.seed = 4
    options.precision = .bf16
    func trainer(_ name: String, resume: Bool = false, options o: TrainingOptions) throws -> Trainer {
      let sources = try ["O", "C", "I"].enumerated().map { d, domain in
        try FolderDataset.frames(data: data.data, reconstructions: data.reconstructions, domain: domain, index: d)
      }
      let target = try FolderDataset.frames(
        data: data.data, reconstructions: data.reconstructions, domain: "M", index: 0)
      return try Trainer(
        model: OANet(config: TinyDataset.tinyConfig, seed: o.seed),
        discriminator: DomainDiscriminator(config: TinyDataset.tinyConfig, seed: o.seed + 1), sources: sources,
        validation: target, options: o, output: data.root.appendingPathComponent(name).path, resume: resume)
    }
    let whole = try trainer("whole", options: options)
    try whole.run()
    let log = try TrainingLog.read(whole.logPath)
    XCTAssertEqual(log.compactMap { $0["loss"] as? Double }.count, 6)
    XCTAssertEqual(log.filter { $0["val_hter"] != nil }.count, 2)
    for p in whole.model.store.all { XCTAssertEqual(p.value.dtype, .float32, p.path) }

    try trainer("paused", options: options).run(stoppingAfter: 5)
    var fp32 = options
    fp32.precision = .fp32
    XCTAssertThrowsError(try trainer("paused", resume: true, options: fp32), "resumed in another precision")
    let resumed = try trainer("paused", resume: true, options: options)
    XCTAssertEqual(resumed.progress.iteration, 4)
    try resumed.run()
    for p in whole.model.store.all {
      XCTAssertEqual(p.value.toArray(), resumed.model.store[p.path]?.value.toArray(), "\(p.path) differs after resume")
    }
  }
}
