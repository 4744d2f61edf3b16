import AGFASCheckpoint
import AGFASEngine
import AGFASNN

/// Loading OA-Net's weights: its pretrained parts for training (docs/method.md §4), or a whole trained
/// model for prediction.
extension OANet {
  /// A model whose backbone comes from a transformers ViT folder (`vit-base-patch16-224-in21k`:
  /// config.json + model.safetensors or pytorch_model.bin) and whose cue encoder's conv1, bn1
  /// and layer1...layer3 come from torchvision's `resnet18-f37072fd.pth`; the cross-attention,
  /// layer4 and the heads start as the reference initialises them. The ViT's sizes are the
  /// folder's config.json, the cue encoder's width the file's conv1; `config` gives the rest.
  public init(
    pretrainedViT vitFolder: String, resnet resnetPath: String, config: OANetConfig = .reference, seed: UInt64 = 0
  ) throws {
    let resnet = try StateDict.load(path: resnetPath)
    guard let stem = resnet["conv1.weight"], stem.rank == 4 else {
      throw OANetError.checkpoint("\(resnetPath) has no 4-D conv1.weight: not a torchvision ResNet state dict")
    }
    var config = config
    config.vit = try ModelFolder(path: vitFolder).config(ViTConfig.self)
    config.cueWidth = stem.shape[0]
    try self.init(config: config, seed: seed)
    try loadPretrainedBackbone(StateDict.load(path: vitFolder))
    try loadPretrainedCueEncoder(resnet)
  }

  /// Loads a transformers `ViTModel` state dict into the backbone. Keys may carry the `vit.`
  /// prefix of transformers' task models (whose `classifier.*` head is ignored). Every
  /// ViTModel key must be there; the cross-attention keeps its values.
  public func loadPretrainedBackbone(_ stateDict: [String: Tensor]) throws {
    try store.load(
      try stateDict.strippingKeyPrefix("vit."), into: OANetKeys.backbone + ".", ignoring: ["classifier."],
      optional: OANetKeys.isCrossAttention)
  }

  /// Loads torchvision ResNet-18 weights into the cue encoder's conv1, bn1 and layer1...layer3.
  /// The file's `layer4.*` is not used (the reference starts layer4 at random) nor is `fc.*`;
  /// `num_batches_tracked` may be absent (older torchvision files).
  public func loadPretrainedCueEncoder(_ stateDict: [String: Tensor]) throws {
    let layer4 = OANetKeys.cueLayer4 + "."
    try store.load(
      stateDict, into: OANetKeys.cueEncoder + ".", ignoring: ["fc.", "layer4."],
      optional: { $0.hasPrefix(layer4) || $0.hasSuffix(".num_batches_tracked") })
  }

  /// A trained OA-Net from its whole state dict (AGFAS's or the reference's keys, with or
  /// without DataParallel's `module.`), loaded strictly. `config` nil reads the sizes off
  /// the keys (`OANetConfig.inferred`).
  public init(stateDict: [String: Tensor], config: OANetConfig? = nil) throws {
    let state = try Self.resolvingAliases(stateDict.strippingKeyPrefix("module."))
    let config = try config ?? OANetConfig.inferred(fromShapes: state.mapValues(\.shape))
    try self.init(config: config, initialization: .uninitialized)
    try store.load(state)
  }

  /// A trained OA-Net from a checkpoint file (PyTorch .pth/.tar, a training checkpoint's
  /// `state_dict`, or safetensors); see `init(stateDict:config:)`.
  public init(path: String, config: OANetConfig? = nil) throws {
    try self.init(stateDict: StateDict.load(path: path), config: config)
  }
}

extension Dictionary where Key == String, Value == Tensor {
  /// The same entries with `prefix` removed from the keys that start with it; a key present
  /// both with and without the prefix is an error (which one is meant is unknowable).
  func strippingKeyPrefix(_ prefix: String) throws -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for (key, t) in self {
      let name = key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : key
      guard out.updateValue(t, forKey: name) == nil else {
        throw OANetError.checkpoint("key \(name) appears both with and without the prefix \(prefix)")
      }
    }
    return out
  }
}

extension OANet {
  /// `state` with the reference's second names (`OANetKeys.aliases`) folded into the
  /// canonical ones; a second name whose values differ from the first is an error.
  static func resolvingAliases(_ state: [String: Tensor]) throws -> [String: Tensor] {
    var out = state
    for (key, value) in state {
      guard let (alias, canonical) = OANetKeys.aliases.first(where: { key.hasPrefix($0.key + ".") }) else { continue }
      let target = canonical + String(key.dropFirst(alias.count))
      out[key] = nil
      if let existing = state[target] {
        guard existing.shape == value.shape, existing.toArray() == value.toArray() else {
          throw OANetError.checkpoint("\(key) differs from \(target): they must be the same tensor")
        }
      } else {
        out[target] = value
      }
    }
    return out
  }

  /// The state dict to save: every parameter and buffer, plus the reference's second names
  /// of the same tensors, so the authors' PyTorch code loads it strictly.
  public func exportedStateDict() -> [String: Tensor] {
    var state = store.stateDict().mapValues { $0.detached() }
    for (alias, canonical) in OANetKeys.aliases {
      for (key, value) in state where key.hasPrefix(canonical + ".") {
        state[alias + String(key.dropFirst(canonical.count))] = value
      }
    }
    return state
  }
}
