import AGFASCheckpoint
import AGFASEngine
import AGFASNN
import AGFASOANet
import Foundation

/// Where a run stands between iterations: what a checkpoint restores besides the tensors.
public struct TrainingProgress: Equatable, Sendable {
  /// Iterations completed.
  public var iteration = 0
  /// The lowest validation HTER so far and the iteration that reached it.
  public var bestHTER: Double?
  public var bestIteration: Int?

  public init(iteration: Int = 0, bestHTER: Double? = nil, bestIteration: Int? = nil) {
    self.iteration = iteration
    self.bestHTER = bestHTER
    self.bestIteration = bestIteration
  }
}

/// The resumable training checkpoint (`checkpoint.safetensors`): one safetensors file, written
/// atomically, with the model under `model/`, the discriminator under `discriminator/` and
/// SGD's momentum buffers under `momentum/`, and metadata holding the iteration, the best
/// HTER, the options (seed and recipe) and the model config. The sampler needs nothing more: its draws are a
/// function of the seed and the iteration (`BalancedSampler`).
public enum TrainingCheckpoint {
  public static let format = "agfas-ssdg-training-1"

  /// Writes the run's whole state to `path`.
  public static func save(
    to path: String, model: OANet, discriminator: DomainDiscriminator, optimizer: SGD, progress: TrainingProgress,
    options: TrainingOptions
  ) throws {
    var tensors: [String: Tensor] = [:]
    for (k, v) in model.store.stateDict() { tensors["model/" + k] = v.detached() }
    for (k, v) in discriminator.store.stateDict() { tensors["discriminator/" + k] = v.detached() }
    for (k, v) in optimizer.momentumBuffers { tensors["momentum/" + k] = v }
    let config = try JSONEncoder().encode(model.config)
    var metadata = [
      "format": format, "iteration": String(progress.iteration), "seed": String(options.seed),
      "options": String(decoding: try JSONEncoder().encode(options), as: UTF8.self),
      "config": String(decoding: config, as: UTF8.self),
    ]
    if let best = progress.bestHTER, let at = progress.bestIteration {
      metadata["best_hter"] = String(best)
      metadata["best_iteration"] = String(at)
    }
    try SafeTensorsWriter.write(tensors, metadata: metadata, to: path)
  }

  /// Restores a run saved by `save` into fresh `model`, `discriminator` and `optimizer` of the
  /// same configuration; throws if the file is not such a checkpoint or was saved with
  /// another seed or recipe (only the validation and checkpoint intervals may change).
  public static func restore(
    from path: String, model: OANet, discriminator: DomainDiscriminator, optimizer: SGD, options: TrainingOptions
  ) throws -> TrainingProgress {
    let seed = options.seed
    let file = try SafeTensorsFile(path: path)
    guard file.metadata["format"] == format, let iteration = file.metadata["iteration"].flatMap(Int.init) else {
      throw TrainingError.checkpoint("\(path) is not an AGFAS training checkpoint")
    }
    guard file.metadata["seed"] == String(seed) else {
      throw TrainingError.checkpoint(
        "\(path) was saved with seed \(file.metadata["seed"] ?? "?"), this run uses \(seed): resume with the same seed")
    }
    if let saved = file.metadata["options"].flatMap({
      try? JSONDecoder().decode(TrainingOptions.self, from: Data($0.utf8))
    }),
      saved.recipe != options.recipe
    {
      throw TrainingError.checkpoint(
        "\(path) was saved with other training options (\(saved.recipe)); resume with the same ones (\(options.recipe))"
      )
    }
    let all = try file.tensors()
    func group(_ prefix: String) -> [String: Tensor] {
      var out: [String: Tensor] = [:]
      for (k, v) in all where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v }
      return out
    }
    try model.store.load(group("model/"))
    try discriminator.store.load(group("discriminator/"))
    try optimizer.loadMomentumBuffers(group("momentum/"))
    return TrainingProgress(
      iteration: iteration, bestHTER: file.metadata["best_hter"].flatMap(Double.init),
      bestIteration: file.metadata["best_iteration"].flatMap(Int.init))
  }

  /// Writes the model alone as a plain state dict (what `agfas predict` and `OANet(path:)`
  /// load), atomically.
  public static func saveModel(_ model: OANet, to path: String) throws {
    let config = try JSONEncoder().encode(model.config)
    try SafeTensorsWriter.write(
      model.exportedStateDict(), metadata: ["config": String(decoding: config, as: UTF8.self)],
      to: path)
  }
}
