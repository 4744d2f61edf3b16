import AGFASEngine
import AGFASNN

/// What one OA-Net forward gives.
public struct OANetOutput {
  /// Classifier logits [B, 2]: index 1 is live, 0 spoof.
  public let logits: Tensor
  /// P(live) = softmax(logits)[:, 1], [B].
  public let scores: Tensor
  /// The backbone's CLS feature after the final LayerNorm, [B, hidden].
  public let features: Tensor
  /// The normalised embeddings the triplet and adversarial losses see, [B, embeddingDim].
  public let embeddings: Tensor
  /// The cue encoder's tokens, [B, N, cueTokenDim].
  public let cueTokens: Tensor

  public init(logits: Tensor, scores: Tensor, features: Tensor, embeddings: Tensor, cueTokens: Tensor) {
    self.logits = logits
    self.scores = scores
    self.features = features
    self.embeddings = embeddings
    self.cueTokens = cueTokens
  }
}

/// AG-FAS's Off-real Attention Network (docs/method.md §4): a ViT-B/16 on the face whose every layer
/// also attends to ResNet-18 tokens of the anomalous cue, then SSDG's normalised embedder and
/// classifier. Parameter paths are state-dict keys (`OANetKeys`).
public struct OANet: Sendable {
  public let config: OANetConfig
  public let store: ParameterStore
  public let backbone: ViTBackbone
  public let cueEncoder: CueEncoder
  public let embedder: NormalizedEmbedder
  public let classifier: NormalizedClassifier

  /// A model with fresh weights, initialised as the reference before its pretrained parts
  /// load (`.fast` for timing full-size models, `.torch` for seeded runs).
  public init(
    config: OANetConfig = .reference, initialization: ParameterStore.Initialization = .torch, seed: UInt64 = 0
  )
    throws
  {
    try config.validate()
    let store = ParameterStore(seed: seed, initialization: initialization)
    let root = store.root()
    backbone = ViTBackbone(root.child(OANetKeys.backbone), config: config.vit, cueTokenDim: config.cueTokenDim)
    cueEncoder = CueEncoder(
      root.child(OANetKeys.cueEncoder), layer4: root.child(OANetKeys.cueLayer4), width: config.cueWidth)
    embedder = NormalizedEmbedder(
      root.child(OANetKeys.embedder), inFeatures: config.vit.hiddenSize, outFeatures: config.embeddingDim)
    classifier = NormalizedClassifier(root.child(OANetKeys.classifier), inFeatures: config.embeddingDim)
    self.config = config
    self.store = store
  }

  /// The element type of the weights; inputs are converted to it.
  public var dtype: DType { embedder.linear.weight.value.dtype }

  /// `input` [B,6,H,W] (`AnomalousCue.input`): channels 0..2 the face, resized to the ViT's
  /// image size (bilinear, no antialias: 256 -> 224); channels 3..5 the cue, at full size.
  /// `training`: BatchNorm uses batch statistics and updates its running ones, and the
  /// classifier's weight is normalised in place (SSDG); otherwise the model is read-only.
  public func callAsFunction(_ input: Tensor, training: Bool = false) throws -> OANetOutput {
    guard input.rank == 4, input.shape[1] == 6, input.shape[2] >= 32, input.shape[3] >= 32 else {
      throw OANetError.input("expected the anomalous-cue input [B,6,H,W] with H, W >= 32, got \(input.shape)")
    }
    let x = input.converted(to: dtype)
    let size = config.vit.imageSize
    let face = try x.sliced(axis: 1, start: 0, end: 3).resizedBilinear(height: size, width: size)
    let cueTokens = try cueEncoder(x.sliced(axis: 1, start: 3, end: 6), training: training)
    let features = try backbone(face, cue: cueTokens)
    let embeddings = try embedder(features)
    let logits = try classifier(embeddings, training: training)
    let scores = try logits.softmax(axis: 1).sliced(axis: 1, start: 1, end: 2).reshaped([input.shape[0]])
    return OANetOutput(
      logits: logits, scores: scores, features: features, embeddings: embeddings, cueTokens: cueTokens)
  }

  /// P(live) [B] for faces and their reconstructions [B,3,H,W] in [-1,1], without gradients.
  public func scores(image: Tensor, reconstruction: Tensor) throws -> Tensor {
    try withoutGrad {
      try self(AnomalousCue.input(image: image, reconstruction: reconstruction)).scores
    }
  }
}
