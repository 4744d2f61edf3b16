import AGFASEngine
import AGFASEvaluation
import AGFASNN
import AGFASOANet
import Foundation

/// SSDG training of OA-Net (docs/method.md §5) on balanced source batches, with validation on the
/// target domain, a best-HTER model, resumable checkpoints and a JSON-lines log in `output`:
///
/// - `checkpoint.safetensors`: the whole run state (`TrainingCheckpoint`), every
///   `checkpointEvery` iterations and at the end;
/// - `best.safetensors`: the model with the lowest validation HTER so far (`OANet(path:)`);
/// - `log.jsonl`: one line per iteration (`TrainingLog`); `config.json`: the model config.
///
/// Every random draw is a function of the seed and the iteration, so a run resumed from a
/// checkpoint ends with the same parameters, bit for bit, as one never interrupted.
public final class Trainer {
  public let model: OANet
  public let discriminator: DomainDiscriminator
  public let optimizer: SGD
  /// The per-iteration update (forward, losses, backward, SGD) in the options' precision.
  public let update: SSDGUpdate
  public let sampler: BalancedSampler
  public let validationFrames: [TrainingFrame]
  public let options: TrainingOptions
  public let output: String
  public private(set) var progress = TrainingProgress()
  /// Receives a one-line summary after each iteration (the command prints it on stderr).
  public var onProgress: ((String) -> Void)?
  private let loader = BatchLoader()
  private var log: TrainingLog?

  public var checkpointPath: String { output + "/checkpoint.safetensors" }
  public var bestPath: String { output + "/best.safetensors" }
  public var logPath: String { output + "/log.jsonl" }

  /// `sources[d]`: source domain d's frames (the discriminator's class d); `validation`: the
  /// target domain's frames. `resume` continues from `output`'s checkpoint if there is one;
  /// without it an existing checkpoint is an error rather than overwritten.
  public init(
    model: OANet, discriminator: DomainDiscriminator, sources: [[TrainingFrame]], validation: [TrainingFrame],
    options: TrainingOptions, output: String, resume: Bool
  ) throws {
    try options.validate()
    guard sources.count == model.config.numDomains else {
      throw TrainingError.options(
        "\(sources.count) source domains but the model config has num_domains \(model.config.numDomains)")
    }
    self.model = model
    self.discriminator = discriminator
    self.options = options
    self.output = output
    self.validationFrames = validation
    sampler = try BalancedSampler(domains: sources, perClass: options.perClass, seed: options.seed)
    optimizer = try SGD(
      parameters: model.store.trainable + discriminator.store.trainable, learningRate: options.learningRate,
      momentum: options.momentum, weightDecay: options.weightDecay)
    update = SSDGUpdate(
      model: model, discriminator: discriminator, optimizer: optimizer,
      objective: SSDGObjective(tripletWeight: options.tripletWeight, adversarialWeight: options.adversarialWeight),
      precision: options.precision)
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    if FileManager.default.fileExists(atPath: checkpointPath) {
      guard resume else {
        throw TrainingError.checkpoint(
          "\(checkpointPath) exists: pass --resume to continue it, or choose another output")
      }
      progress = try TrainingCheckpoint.restore(
        from: checkpointPath, model: model, discriminator: discriminator, optimizer: optimizer, options: options)
    }
    try JSONEncoder().encode(model.config).write(to: URL(fileURLWithPath: output + "/config.json"), options: .atomic)
  }

  /// Trains until `options.iterations` (or until iteration `stoppingAfter`, to pause a run)
  /// and returns where it stands.
  @discardableResult
  public func run(stoppingAfter: Int? = nil) throws -> TrainingProgress {
    let last = Swift.min(options.iterations, stoppingAfter ?? options.iterations)
    if log == nil { log = try TrainingLog(path: logPath, keepingThrough: progress.iteration) }
    while progress.iteration < last {
      let i = progress.iteration + 1
      var record = try step(i)
      if options.validateEvery > 0, i % options.validateEvery == 0 || i == options.iterations {
        record.merge(try validate(i)) { a, _ in a }
      }
      progress.iteration = i
      if i % options.checkpointEvery == 0 || i == options.iterations {
        try TrainingCheckpoint.save(
          to: checkpointPath, model: model, discriminator: discriminator, optimizer: optimizer, progress: progress,
          options: options)
      }
      try log?.append(record)
      onProgress?(Self.summary(record, iterations: options.iterations))
    }
    return progress
  }

  /// One SSDG iteration: forward on the balanced batch, the three losses, backward, SGD.
  func step(_ i: Int) throws -> [String: Any] {
    let started = Date()
    let samples = sampler.batch(iteration: i)
    let batch = try loader.take(samples, key: i)
    if i < options.iterations { loader.prefetch(sampler.batch(iteration: i + 1), key: i + 1) }
    let lr = options.schedule.rate(iteration: i)
    let reversal = DomainDiscriminator.reversalCoefficient(iteration: i, maxIterations: options.iterations)
    var dropoutSeed = SeededRandom(seed: options.seed, 2, i)
    optimizer.learningRate = lr
    let (terms, _) = try update(
      AnomalousCue.input(image: batch.images, reconstruction: batch.reconstructions), labels: batch.labels,
      domains: batch.domains, reversal: reversal, dropout: .random(TorchGenerator(seed: dropoutSeed.next())))
    func value(_ t: Tensor) -> Double { Double(t.toArray()[0]) }
    return [
      "iteration": i, "loss": value(terms.total), "cls": value(terms.classification), "triplet": value(terms.triplet),
      "adversarial": value(terms.adversarial), "positive_triplets": terms.positiveTriplets, "lr": Double(lr),
      "grl": Double(reversal), "seconds": Date().timeIntervalSince(started),
    ]
  }

  /// Validates on the target frames, keeps the model if its HTER is the best so far.
  func validate(_ i: Int) throws -> [String: Any] {
    guard !validationFrames.isEmpty else { return [:] }
    let m = try update.inference {
      try Validation.evaluate(model, frames: validationFrames, batchSize: options.validationBatch)
    }
    // A tie moves the best to the newer model, as the authors' train.py does.
    if progress.bestHTER.map({ m.hter <= $0 }) ?? true {
      progress.bestHTER = m.hter
      progress.bestIteration = i
      try TrainingCheckpoint.saveModel(model, to: bestPath)
    }
    return [
      "val_hter": m.hter, "val_auc": m.auc, "val_eer": m.eer, "val_threshold": m.threshold,
      "val_accuracy": m.accuracy, "best_hter": progress.bestHTER ?? m.hter,
      "best_iteration": progress.bestIteration ?? i,
    ]
  }

  static func summary(_ r: [String: Any], iterations: Int) -> String {
    func f(_ key: String, _ digits: Int = 4) -> String {
      (r[key] as? Double).map { String(format: "%.\(digits)f", $0) } ?? "-"
    }
    var line =
      "iter \(r["iteration"] ?? "?")/\(iterations) loss \(f("loss")) (cls \(f("cls")) triplet \(f("triplet")) "
      + "adv \(f("adversarial"))) lr \(String(format: "%.2e", r["lr"] as? Double ?? 0)) \(f("seconds", 2))s"
    if r["val_hter"] != nil { line += " | val HTER \(f("val_hter")) AUC \(f("val_auc")) best \(f("best_hter"))" }
    return line
  }
}
