import AGFASEngine

/// Low-rank adaptation (LoRA) of a model's linear layers, the way peft's `LoraConfig` with
/// `target_modules` does it: every `Linear` whose module path ends with a target name
/// (`to_q`, `to_out.0`, ...) gets an adapter whose parameters live in a store of their own,
/// named as peft names them (`<module>.lora_A.weight`, `<module>.lora_B.weight`), while the
/// base weights stay frozen.
public enum LoRA {
  /// The linear layers of `model` that `targets` select, by module path, in creation order.
  /// peft's rule: the path equals a target or ends with "." + target.
  public static func targets(in model: ParameterStore, matching targets: [String]) -> [(
    path: String, slot: AdapterSlot
  )] {
    model.linearLayers.filter { path, _ in
      targets.contains { path == $0 || path.hasSuffix("." + $0) }
    }
  }

  /// Attaches fresh adapters (peft's `init_lora_weights="gaussian"`: down ~ N(0, 1/rank), up
  /// zero, so the model starts unchanged) to the layers `targets` select; their parameters
  /// are registered in `adapters`, drawn from its generator. Returns the adapters' module paths.
  @discardableResult
  public static func attach(
    to model: ParameterStore, targets names: [String], rank: Int, alpha: Float, adapters: ParameterStore
  ) throws -> [String] {
    guard rank >= 1 else { throw TensorError.invalidArgument(op: "LoRA", reason: "rank \(rank) must be at least 1") }
    guard alpha.isFinite, alpha > 0 else {
      throw TensorError.invalidArgument(op: "LoRA", reason: "alpha \(alpha) must be a finite value > 0")
    }
    let layers = targets(in: model, matching: names)
    guard !layers.isEmpty else {
      throw TensorError.invalidArgument(
        op: "LoRA", reason: "no linear layer matches \(names.joined(separator: ", ")): nothing to adapt")
    }
    for (path, slot) in layers {
      let module = adapters.root(path)
      let down = module.child("lora_A").normalParameter("weight", [rank, slot.inFeatures], std: 1 / Float(rank))
      let up = module.child("lora_B").parameter("weight", Tensor.zeros([slot.outFeatures, rank]))
      try slot.set(LowRankAdapter(down: down, up: up, scale: alpha / Float(rank)))
    }
    return layers.map(\.path)
  }

  /// Adds every attached adapter into its base weight (`W + scale * up @ down`, in fp32, then
  /// the weight's dtype) and detaches it: inference then costs what the base model costs.
  public static func merge(in model: ParameterStore) throws {
    for (path, slot) in model.linearLayers {
      guard let lora = slot.current, let weight = model[path + ".weight"] else { continue }
      let merged = try withoutGrad { try weight.value.converted(to: .float32) + lora.delta() }
      weight.value = merged.converted(to: weight.value.dtype)
      try slot.set(nil)
    }
  }
}
