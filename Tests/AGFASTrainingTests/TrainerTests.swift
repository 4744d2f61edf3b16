import AGFASCheckpoint
import AGFASEngine
import AGFASNN
import AGFASOANet
import AGFASTraining
import Foundation
import XCTest

/// End to end: SSDG training of a tiny OA-Net on generated data (3 sources + 1 target).
final class TrainerTests: XCTestCase {
  static let sources = ["O", "C", "I"]

  func options(iterations: Int = 30) -> TrainingOptions {
    var o = TrainingOptions()
    o.iterations = iterations
    o.perClass = 2
    // A tiny model learns little in 30 iterations at the reference's 1e-3; at 0.03 its
    // classification loss falls from ~0.7 to ~0.4 (the cue's cross-attention starts at zero
    // output, as the reference's does, and opens slowly).
    o.learningRate = 0.03
    o.validateEvery = 10
    o.checkpointEvery = 5
    o.seed = 11
    return o
  }

  func trainer(_ data: TinyDataset, output: String, resume: Bool = false, options o: TrainingOptions? = nil) throws
    -> Trainer
  {
    let sources = try Self.sources.enumerated().map { d, name in
      try FolderDataset.frames(data: data.data, reconstructions: data.reconstructions, domain: name, index: d)
    }
    let target = try FolderDataset.frames(data: data.data, reconstructions: data.reconstructions, domain: "M", index: 0)
    let o = o ?? options()
    return try Trainer(
      model: OANet(config: TinyDataset.tinyConfig, seed: o.seed),
      discriminator: DomainDiscriminator(config: TinyDataset.tinyConfig, seed: o.seed + 1), sources: sources,
      validation: target, options: o, output: output, resume: resume)
  }

  func testTrainingLowersTheLossAndResumeReproducesAnUninterruptedRun() throws {
    let data = try TinyDataset(domains: Self.sources + ["M"])
    defer { data.remove() }
    let whole = data.root.appendingPathComponent("whole").path
    let paused = data.root.appendingPathComponent("paused").path

    let uninterrupted = try trainer(data, output: whole)
    try uninterrupted.run()
    let log = try TrainingLog.read(uninterrupted.logPath)
    XCTAssertEqual(log.map { $0["iteration"] as? Int }, (1...30).map { $0 })
    let losses = log.compactMap { $0["loss"] as? Double }
    let (first, last) = (losses.prefix(5).reduce(0, +) / 5, losses.suffix(5).reduce(0, +) / 5)
    XCTAssertLessThan(last, first, "loss did not fall: \(losses)")
    let ce = log.compactMap { $0["cls"] as? Double }
    XCTAssertLessThan(
      ce.suffix(5).reduce(0, +) / 5, 0.7 * ce.prefix(5).reduce(0, +) / 5, "CE did not fall by 30%: \(ce)")
    XCTAssertEqual(log.filter { $0["val_hter"] != nil }.map { $0["iteration"] as? Int }, [10, 20, 30])
    for path in [uninterrupted.checkpointPath, uninterrupted.bestPath] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: path), path)
    }
    // The best model loads as a plain OA-Net state dict.
    _ = try OANet(path: uninterrupted.bestPath, config: TinyDataset.tinyConfig)

    // A crash after iteration 17 loses 16 and 17: the resumed run restarts after the
    // iteration-15 checkpoint, redoes them, and ends where the uninterrupted run did.
    try trainer(data, output: paused).run(stoppingAfter: 17)
    XCTAssertThrowsError(try trainer(data, output: paused), "an existing run needs --resume")
    var longer = options()
    longer.iterations = 40
    XCTAssertThrowsError(try trainer(data, output: paused, resume: true, options: longer), "another schedule")
    let resumed = try trainer(data, output: paused, resume: true)
    XCTAssertEqual(resumed.progress.iteration, 15)
    try resumed.run()
    for (a, b) in [
      (uninterrupted.model.store, resumed.model.store),
      (uninterrupted.discriminator.store, resumed.discriminator.store),
    ] {
      for p in a.all {
        XCTAssertEqual(p.value.toArray(), b[p.path]?.value.toArray(), "\(p.path) differs after resume")
      }
    }
    XCTAssertEqual(
      uninterrupted.optimizer.momentumBuffers.keys.sorted(), resumed.optimizer.momentumBuffers.keys.sorted())
    for (k, v) in uninterrupted.optimizer.momentumBuffers {
      XCTAssertEqual(v.toArray(), resumed.optimizer.momentumBuffers[k]?.toArray(), "momentum of \(k)")
    }
    let resumedLog = try TrainingLog.read(resumed.logPath)
    XCTAssertEqual(resumedLog.map { $0["iteration"] as? Int }, (1...30).map { $0 })
    XCTAssertEqual(resumedLog.map { $0["loss"] as? Double }, losses)
    XCTAssertEqual(resumed.progress, uninterrupted.progress)
  }

  func testSamplerIsBalancedAndAFunctionOfSeedAndIteration() throws {
    let data = try TinyDataset(domains: Self.sources)
    defer { data.remove() }
    let sources = try Self.sources.enumerated().map { d, name in
      try FolderDataset.frames(data: data.data, reconstructions: data.reconstructions, domain: name, index: d)
    }
    let sampler = try BalancedSampler(domains: sources, perClass: 4, seed: 3)
    let batch = sampler.batch(iteration: 7)
    XCTAssertEqual(batch.count, 24)
    // Live of domains 0, 1, 2 then spoof of 0, 1, 2, four each.
    XCTAssertEqual(batch.map(\.frame.label), Array(repeating: 1, count: 12) + Array(repeating: 0, count: 12))
    XCTAssertEqual(batch.map(\.frame.domain), [0, 1, 2, 0, 1, 2].flatMap { Array(repeating: $0, count: 4) })
    XCTAssertEqual(batch, try BalancedSampler(domains: sources, perClass: 4, seed: 3).batch(iteration: 7))
    XCTAssertNotEqual(batch, sampler.batch(iteration: 8))
    // Each pool of 6 frames is walked without repeats within a pass.
    let pass = (1...3).flatMap { sampler.batch(iteration: $0).prefix(4) }.prefix(6).map(\.frame.image)
    XCTAssertEqual(Set(pass).count, 6)
  }

  func testPairedFlipMirrorsFaceAndReconstructionAlike() throws {
    let data = try TinyDataset(domains: ["O"])
    defer { data.remove() }
    let frame = try FolderDataset.frames(data: data.data, reconstructions: data.reconstructions, domain: "O", index: 0)[
      0]
    let plain = try BatchLoader.load([SampledFrame(frame: frame, flipped: false)])
    let flipped = try BatchLoader.load([SampledFrame(frame: frame, flipped: true)])
    let n = TinyDataset.size
    for (a, b) in [(plain.images, flipped.images), (plain.reconstructions, flipped.reconstructions)] {
      let (x, y) = (a.toArray(), b.toArray())
      for row in 0..<(3 * n) {
        for col in 0..<n { XCTAssertEqual(x[row * n + col], y[row * n + n - 1 - col]) }
      }
    }
  }

  func testScheduleWarmsUpLinearlyThenDecaysToZero() {
    let s = LearningRateSchedule(base: 1e-3, iterations: 4000, warmupFraction: 0.1)
    XCTAssertEqual(s.warmupIterations, 400)
    XCTAssertEqual(s.rate(iteration: 1), 1e-3 / 400, accuracy: 1e-12)
    // The reference's iter_num is iteration - 1: its cosine starts at iter_num 400.
    XCTAssertEqual(s.rate(iteration: 400), 1e-3, accuracy: 1e-12)
    XCTAssertEqual(s.rate(iteration: 401), 1e-3, accuracy: 1e-12)
    XCTAssertEqual(s.rate(iteration: 2201), 5e-4, accuracy: 1e-9)
    XCTAssertEqual(s.rate(iteration: 4000), Float(1e-3 * 0.5 * (1 + cos(Double.pi * 3599 / 3600))), accuracy: 1e-14)
    XCTAssertLessThan(s.rate(iteration: 4000), 1e-9)
  }
}
