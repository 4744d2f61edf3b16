import AGFASCheckpoint
import AGFASEngine
import AGFASNN

/// The DFG's identity condition (docs/method.md §2.1): ArcFace iresnet bn2 features of the face, one
/// token per 7x7 position, zero-padded to the UNet's cross-attention width.
public struct ArcFaceIdentity: Sendable {
  /// ArcFace's input side: faces are resized to 112x112 before the backbone.
  public static let inputSize = 112
  /// Checkpoint prefixes the condition does not use (the embedding head).
  public static let ignoredKeyPrefixes = ["fc.", "features."]

  public let store: ParameterStore
  public let backbone: IResNet
  /// Width of each condition token (768 for SD-1.5's cross-attention); must be >= the
  /// backbone's feature channels, the rest is zeros.
  public let tokenDim: Int

  /// A model with fresh weights (`.fast` for timing full-size models, `.torch` for seeded parity).
  public init(
    config: IResNetConfig = .iresnet18, tokenDim: Int = 768, initialization: ParameterStore.Initialization = .torch,
    seed: UInt64 = 0
  ) throws {
    let store = ParameterStore(seed: seed, initialization: initialization)
    backbone = try IResNet(store.root(), config: config)
    guard tokenDim >= config.outChannels else {
      throw ArcFaceError.config("token dim \(tokenDim) is smaller than the \(config.outChannels) feature channels")
    }
    self.store = store
    self.tokenDim = tokenDim
  }

  /// Loads an insightface state dict strictly (every key used, except `fc.*`/`features.*`);
  /// `config` nil reads the architecture off the keys (r18, r34, r50, r100 ...).
  public init(stateDict: [String: Tensor], config: IResNetConfig? = nil, tokenDim: Int = 768) throws {
    let config = try config ?? IResNetConfig.inferred(fromShapes: stateDict.mapValues(\.shape))
    try self.init(config: config, tokenDim: tokenDim, initialization: .fast)
    try store.load(stateDict, ignoring: Self.ignoredKeyPrefixes)
  }

  /// Loads a `.safetensors` backbone (see `init(stateDict:config:tokenDim:)`).
  public init(path: String, config: IResNetConfig? = nil, tokenDim: Int = 768) throws {
    // backbone.pth as insightface saves it (torch.save of a state dict), a training checkpoint
    // holding one, or safetensors; `module.` prefixes from DataParallel are dropped.
    try self.init(stateDict: StateDict.load(path: path, stripPrefix: "module."), config: config, tokenDim: tokenDim)
  }

  /// The element type of the loaded weights; inputs are converted to it.
  public var dtype: DType { backbone.conv1.weight.value.dtype }

  /// `x` [B,3,H,W] in [-1,1], any size -> bilinear 112x112 (align_corners false, no
  /// antialias) -> bn2 features [B, C, 7, 7], in the weights' dtype.
  public func features(_ x: Tensor) throws -> Tensor {
    guard x.rank == 4, x.shape[1] == 3, x.shape[2] > 0, x.shape[3] > 0 else {
      throw ArcFaceError.input("expected faces [B,3,H,W], got \(x.shape)")
    }
    let face = try x.converted(to: dtype)
      .resizedBilinear(height: Self.inputSize, width: Self.inputSize)
      .channelsLast()
    return try backbone(face)
  }

  /// The UNet's `encoder_hidden_states`: [B,49,tokenDim] (SD-1.5: [B,49,768]); token i is
  /// feature position i (row-major over 7x7), its C channels followed by zeros.
  public func condition(_ x: Tensor) throws -> Tensor {
    let f = try features(x)
    let (b, c) = (f.shape[0], f.shape[1])
    let tokens = try f.reshaped([b, c, f.shape[2] * f.shape[3]]).transposed(1, 2)
    return try tokens.padded([(0, 0), (0, 0), (0, tokenDim - c)])
  }
}
