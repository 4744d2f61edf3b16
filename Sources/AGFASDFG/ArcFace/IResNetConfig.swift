/// The shape of an insightface arcface_torch `iresnet`: IBasicBlocks per stage and the stem
/// width (stages are 1x, 2x, 4x, 8x that width). JSON keys as a `config.json` would spell them.
public struct IResNetConfig: Codable, Sendable, Equatable {
  /// Blocks in layer1...layer4.
  public var layers: [Int]
  /// Channels of the stem and layer1 (64 in every released model; smaller only in tests).
  public var baseWidth: Int

  enum CodingKeys: String, CodingKey {
    case layers
    case baseWidth = "base_width"
  }

  public init(layers: [Int] = [2, 2, 2, 2], baseWidth: Int = 64) {
    self.layers = layers
    self.baseWidth = baseWidth
  }

  /// Missing keys take iresnet18's values.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      layers: try c.decodeIfPresent([Int].self, forKey: .layers) ?? [2, 2, 2, 2],
      baseWidth: try c.decodeIfPresent(Int.self, forKey: .baseWidth) ?? 64)
  }

  /// AG-FAS's identity encoder (`backbone.pth`, insightface r18).
  public static let iresnet18 = IResNetConfig(layers: [2, 2, 2, 2])
  public static let iresnet34 = IResNetConfig(layers: [3, 4, 6, 3])
  public static let iresnet50 = IResNetConfig(layers: [3, 4, 14, 3])
  public static let iresnet100 = IResNetConfig(layers: [3, 13, 30, 3])

  /// Channels of stage `i` (0-based) and of the bn2 features (`stageWidth(3)`).
  public func stageWidth(_ i: Int) -> Int { baseWidth << i }

  /// Channels of the feature map bn2 returns.
  public var outChannels: Int { stageWidth(3) }

  /// Throws naming the offending key and value.
  public func validate() throws {
    guard layers.count == 4, layers.allSatisfy({ $0 > 0 }) else {
      throw ArcFaceError.config("layers \(layers) is not supported: need 4 positive block counts")
    }
    guard baseWidth > 0 else { throw ArcFaceError.config("base_width \(baseWidth) is not supported: need > 0") }
  }

  /// The config a checkpoint was trained with, read off its keys and shapes: block counts
  /// from the `layer<n>.<k>.` indices, width from `conv1.weight`. Lets users bring r34/r50/r100.
  public static func inferred(fromShapes shapes: [String: [Int]]) throws -> IResNetConfig {
    guard let stem = shapes["conv1.weight"], stem.count == 4 else {
      throw ArcFaceError.checkpoint("no 4-D conv1.weight: not an insightface iresnet state dict")
    }
    let layers = (1...4).map { stage in
      let prefix = "layer\(stage)."
      let indices = shapes.keys.compactMap { key -> Int? in
        guard key.hasPrefix(prefix) else { return nil }
        return Int(key.dropFirst(prefix.count).prefix { $0 != "." })
      }
      return (indices.max() ?? -1) + 1
    }
    let config = IResNetConfig(layers: layers, baseWidth: stem[0])
    try config.validate()
    return config
  }
}

/// Unsupported ArcFace configurations and checkpoints.
public enum ArcFaceError: Error, CustomStringConvertible, Equatable {
  case config(String)
  case checkpoint(String)
  case input(String)

  public var description: String {
    switch self {
    case .config(let m): "ArcFace config: \(m)"
    case .checkpoint(let m): "ArcFace checkpoint: \(m)"
    case .input(let m): "ArcFace input: \(m)"
    }
  }
}
