import AGFASCheckpoint
import AGFASEngine
import AGFASJSON
import AGFASNN
import Foundation

/// A UNet's LoRA adapters as a file: diffusers' `pytorch_lora_weights.safetensors`, the file
/// `train_text_to_image_lora.py` saves and `load_lora_weights` reads.
///
/// Written as diffusers writes it: `unet.<module>.lora.down.weight` [rank, in] and
/// `unet.<module>.lora.up.weight` [out, rank], metadata `format: pt` plus, under
/// `lora_adapter_metadata`, the rank, alpha and target modules. Read from that form, peft's (`lora_A`/`lora_B`), diffusers' older attention-processor
/// form (`attn1.processor.to_q_lora.down.weight`), with or without the `unet.` prefix, with
/// per-module `.alpha` entries, and from a `.bin` pickle.
public struct LoRAWeights: Sendable {
  /// One adapted linear layer.
  public struct Module: Sendable {
    /// [rank, in] (peft's lora_A).
    public var down: Tensor
    /// [out, rank] (peft's lora_B).
    public var up: Tensor
    /// The adapter's output is scaled by alpha / rank.
    public var alpha: Float

    public init(down: Tensor, up: Tensor, alpha: Float) {
      self.down = down
      self.up = up
      self.alpha = alpha
    }

    public var rank: Int { down.shape.first ?? 0 }
  }

  /// Adapters by module path (`down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`).
  public var modules: [String: Module]

  public init(modules: [String: Module]) { self.modules = modules }

  /// The adapters attached to `model`'s linear layers, with their current values.
  public init(attachedTo model: ParameterStore) {
    var modules: [String: Module] = [:]
    for (path, slot) in model.linearLayers {
      guard let lora = slot.current else { continue }
      modules[path] = Module(
        down: lora.down.value.detached().converted(to: .float32), up: lora.up.value.detached().converted(to: .float32),
        alpha: lora.scale * Float(lora.rank))
    }
    self.modules = modules
  }

  // MARK: Reading

  /// Reads a LoRA file in any of the forms above; throws naming the file for a key it does
  /// not understand, a module without both halves, or halves whose ranks differ.
  public static func load(_ path: String) throws -> LoRAWeights {
    let tensors = try StateDict.load(path: path)
    let metadataAlpha = try adapterMetadataAlpha(path)
    var halves: [String: (down: Tensor?, up: Tensor?, alpha: Float?)] = [:]
    for (key, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
      guard let (module, part) = parse(key) else {
        throw LoRAError.file(
          path,
          "entry '\(key)' is not a UNet LoRA weight (expected unet.<module>.lora.down.weight, .lora.up.weight, "
            + "lora_A/lora_B or .alpha); a text encoder's adapters have no place in the DFG")
      }
      var entry = halves[module] ?? (nil, nil, nil)
      switch part {
      case .down: entry.down = tensor
      case .up: entry.up = tensor
      case .alpha:
        guard tensor.count == 1, let a = try tensor.converted(to: .float32).fp32RowMajor().floats().first, a.isFinite,
          a > 0
        else { throw LoRAError.file(path, "alpha of \(module) must be one finite value > 0") }
        entry.alpha = a
      }
      halves[module] = entry
    }
    var modules: [String: Module] = [:]
    for (module, entry) in halves {
      guard let down = entry.down, let up = entry.up else {
        throw LoRAError.file(path, "\(module) has only its \(entry.down == nil ? "up" : "down") weight")
      }
      guard down.rank == 2, up.rank == 2, up.shape[1] == down.shape[0], down.shape[0] >= 1 else {
        throw LoRAError.file(
          path, "\(module): down \(down.shape) and up \(up.shape) must be [rank, in] and [out, rank]")
      }
      let rank = down.shape[0]
      modules[module] = Module(
        down: down.converted(to: .float32), up: up.converted(to: .float32),
        alpha: entry.alpha ?? metadataAlpha.map { $0.alpha * Float(rank) / Float($0.rank) } ?? Float(rank))
    }
    guard !modules.isEmpty else { throw LoRAError.file(path, "holds no LoRA weights") }
    return LoRAWeights(modules: modules)
  }

  private enum Part { case down, up, alpha }

  /// Module path and part of one key, or nil when the key is not a UNet LoRA entry.
  private static func parse(_ key: String) -> (String, Part)? {
    var k = key
    for prefix in ["unet.", "base_model.model."] where k.hasPrefix(prefix) { k.removeFirst(prefix.count) }
    if k.hasPrefix("text_encoder") { return nil }
    let suffixes: [(String, Part)] = [
      (".lora.down.weight", .down), (".lora.up.weight", .up), (".lora_A.weight", .down), (".lora_B.weight", .up),
      (".lora_A.default.weight", .down), (".lora_B.default.weight", .up), (".alpha", .alpha),
    ]
    for (suffix, part) in suffixes where k.hasSuffix(suffix) {
      return (String(k.dropLast(suffix.count)), part)
    }
    // diffusers' attention-processor form: <attn>.processor.to_q_lora.down.weight.
    for (old, new) in [
      ("to_q_lora", "to_q"), ("to_k_lora", "to_k"), ("to_v_lora", "to_v"), ("to_out_lora", "to_out.0"),
    ] {
      for (half, part) in [("down", Part.down), ("up", Part.up)] {
        let suffix = ".processor.\(old).\(half).weight"
        if k.hasSuffix(suffix) { return (String(k.dropLast(suffix.count)) + "." + new, part) }
      }
    }
    return nil
  }

  /// The rank and alpha diffusers writes into a safetensors file's `lora_adapter_metadata`.
  private static func adapterMetadataAlpha(_ path: String) throws -> (rank: Int, alpha: Float)? {
    guard path.hasSuffix(".safetensors"), let raw = try SafeTensorsFile(path: path).metadata["lora_adapter_metadata"]
    else { return nil }
    struct Metadata: Decodable {
      var rank: Int?
      var alpha: Double?
      enum CodingKeys: String, CodingKey {
        case rank = "unet.r"
        case alpha = "unet.lora_alpha"
      }
    }
    let m: Metadata
    do { m = try StrictJSON.decode(Metadata.self, from: Data(raw.utf8)) } catch {
      throw LoRAError.file(path, "its lora_adapter_metadata is not valid: \(error)")
    }
    guard let rank = m.rank, let alpha = m.alpha else { return nil }
    guard rank >= 1, alpha.isFinite, alpha > 0 else {
      throw LoRAError.file(path, "lora_adapter_metadata has rank \(rank) and alpha \(alpha)")
    }
    return (rank, Float(alpha))
  }

  // MARK: Writing

  /// Writes diffusers' form atomically (see the type's comment). An alpha other than the
  /// rank is folded into `up` (scaled by alpha / rank, alpha written as the rank): the output
  /// is the same, and readers that ignore the metadata (diffusers' `load_lora_adapter` given a
  /// file path, older tools) then compute it too.
  public func write(to path: String, targets: [String]) throws {
    var tensors: [String: Tensor] = [:]
    for (module, m) in modules {
      let scale = m.alpha / Float(m.rank)
      tensors["unet.\(module).lora.down.weight"] = m.down
      tensors["unet.\(module).lora.up.weight"] = scale == 1 ? m.up : try withoutGrad { try m.up * scale }
    }
    var metadata = ["format": "pt"]
    let ranks = Set(modules.values.map(\.rank))
    if ranks.count == 1, let rank = ranks.first {
      let json: [String: Any] = ["unet.r": rank, "unet.lora_alpha": rank, "unet.target_modules": targets]
      let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
      metadata["lora_adapter_metadata"] = String(decoding: data, as: UTF8.self)
    }
    try SafeTensorsWriter.write(tensors, metadata: metadata, to: path)
  }

  // MARK: Applying

  /// Adds each adapter into its layer's weight in `model` (inference: no cost per call):
  /// attached, then merged by `LoRA.merge`. Every module must name a linear layer of the
  /// model with matching shapes; adapters already attached to `model` are merged too.
  public func merge(into model: ParameterStore, file: String) throws {
    try attach(to: model, adapters: ParameterStore(), file: file)
    try LoRA.merge(in: model)
  }

  /// Attaches the adapters to `model`'s layers as trainable parameters registered in
  /// `adapters` (resuming or continuing a LoRA fine-tune).
  public func attach(to model: ParameterStore, adapters: ParameterStore, file: String) throws {
    let layers = Dictionary(model.linearLayers.map { ($0.path, $0.slot) }, uniquingKeysWith: { a, _ in a })
    for (module, m) in modules.sorted(by: { $0.key < $1.key }) {
      guard let slot = layers[module] else {
        throw LoRAError.file(file, "adapts \(module), which this UNet does not have (a LoRA for another model?)")
      }
      let path = adapters.root(module)
      let down = path.child("lora_A").parameter("weight", m.down)
      let up = path.child("lora_B").parameter("weight", m.up)
      do { try slot.set(LowRankAdapter(down: down, up: up, scale: m.alpha / Float(m.rank))) } catch {
        throw LoRAError.file(file, "\(module): \(error)")
      }
    }
  }
}

/// A LoRA file that cannot be used, with the file named.
public enum LoRAError: Error, CustomStringConvertible {
  case file(String, String)

  public var description: String {
    switch self {
    case .file(let path, let reason): return "LoRA file \(path): \(reason)"
    }
  }
}
