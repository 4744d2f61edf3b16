import AGFASCheckpoint
import AGFASEngine
import AGFASNN
import Foundation

/// The resumable state of a fine-tuning run (`checkpoint.safetensors`, written atomically):
/// the trained values under `trainable/` (the LoRA adapters, or every UNet weight), AdamW's
/// moments under `exp_avg/` and `exp_avg_sq/` with each parameter's step count in the
/// metadata, the EMA under `ema/`, and the step, seed and recipe. Every random draw of a step
/// is a function of the seed and the step, so a resumed run ends bit-identical to one never
/// interrupted.
public enum FineTuneCheckpoint {
  public static let format = "agfas-dfg-finetune-1"

  public static func save(
    to path: String, step: Int, trainable: [Parameter], optimizer: AdamW, ema: ExponentialMovingAverage?,
    options: FineTuneOptions
  ) throws {
    var tensors: [String: Tensor] = [:]
    var steps: [String: Int] = [:]
    for p in trainable { tensors["trainable/" + p.path] = p.trainedValue.detached() }
    for (path, s) in optimizer.state {
      tensors["exp_avg/" + path] = s.exponentialAverage
      tensors["exp_avg_sq/" + path] = s.exponentialAverageSquared
      steps[path] = s.step
    }
    var metadata = [
      "format": format, "step": String(step), "seed": String(options.seed), "recipe": options.recipe,
      "adam_steps": String(decoding: try JSONEncoder.sorted.encode(steps), as: UTF8.self),
    ]
    if let ema {
      for (path, t) in ema.shadow { tensors["ema/" + path] = t }
      metadata["ema_step"] = String(ema.optimizationStep)
    }
    try SafeTensorsWriter.write(tensors, metadata: metadata, to: path)
  }

  /// Restores `path` into the run's parameters, optimizer and EMA; returns the step it was
  /// saved at. Refuses a file of another kind, seed or recipe, naming the difference.
  public static func restore(
    from path: String, trainable: [Parameter], optimizer: AdamW, ema: ExponentialMovingAverage?,
    options: FineTuneOptions
  ) throws -> Int {
    let file = try SafeTensorsFile(path: path)
    guard file.metadata["format"] == format, let step = file.metadata["step"].flatMap(Int.init), step >= 0 else {
      throw FineTuneError.checkpoint("\(path) is not an AGFAS DFG fine-tuning checkpoint")
    }
    guard file.metadata["seed"] == String(options.seed) else {
      throw FineTuneError.checkpoint(
        "\(path) was saved with seed \(file.metadata["seed"] ?? "?"), this run uses \(options.seed): resume with the same --seed"
      )
    }
    guard file.metadata["recipe"] == options.recipe else {
      throw FineTuneError.checkpoint(
        "\(path) was saved with other options (\(file.metadata["recipe"] ?? "?")); resume with the same ones "
          + "(\(options.recipe)); only --steps, --checkpoint-every and the validation options may change")
    }
    let steps: [String: Int]
    do {
      steps = try JSONDecoder().decode([String: Int].self, from: Data((file.metadata["adam_steps"] ?? "{}").utf8))
    } catch {
      throw FineTuneError.checkpoint("\(path): its adam_steps metadata is not valid: \(error)")
    }
    let all = try file.tensors()
    func group(_ prefix: String) -> [String: Tensor] {
      var out: [String: Tensor] = [:]
      for (k, v) in all where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v }
      return out
    }
    let values = group("trainable/")
    for p in trainable {
      guard let v = values[p.path], v.shape == p.shape else {
        throw FineTuneError.checkpoint("\(path) has no value of shape \(p.shape) for \(p.path)")
      }
      p.value = v.converted(to: p.value.dtype)
    }
    let (m, v) = (group("exp_avg/"), group("exp_avg_sq/"))
    var state: [String: AdamW.State] = [:]
    for (p, s) in steps {
      guard let mp = m[p], let vp = v[p] else { throw FineTuneError.checkpoint("\(path) lacks the moments of \(p)") }
      state[p] = AdamW.State(step: s, exponentialAverage: mp, exponentialAverageSquared: vp)
    }
    try optimizer.loadState(state)
    if let ema {
      guard let emaStep = file.metadata["ema_step"].flatMap(Int.init) else {
        throw FineTuneError.checkpoint("\(path) has no EMA, which this run keeps")
      }
      try ema.load(shadow: group("ema/"), optimizationStep: emaStep)
    }
    return step
  }
}
