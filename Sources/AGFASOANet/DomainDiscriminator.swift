import AGFASEngine
import AGFASNN
import Foundation

/// Where the discriminator's dropout mask comes from.
public enum DropoutMask {
  /// Inference: no dropout.
  case none
  /// Training: a fresh mask from this generator each forward.
  case random(TorchGenerator)
  /// Training with a given keep-mask [rows, hidden] (1 keep, 0 drop): parity tests inject
  /// the reference's mask, whose random stream AGFAS does not reproduce.
  case fixed(Tensor)
}

/// SSDG's `Discriminator` (docs/method.md §5): gradient reversal, then Linear(512, 512) with weight
/// N(0, 0.01), ReLU, Dropout 0.5, Linear(512, domains) with weight N(0, 0.3); biases 0. It
/// classifies the source domain of live embeddings; the reversed gradient pushes the
/// embedder to make live faces of all domains alike. It has its own store: SSDG keeps it
/// apart from the model, and predictions never need it.
public struct DomainDiscriminator: Sendable {
  public static let dropoutProbability: Float = 0.5
  public let store: ParameterStore
  public let hidden: NormalLinear
  public let output: NormalLinear

  public init(
    config: OANetConfig = .reference, initialization: ParameterStore.Initialization = .torch, seed: UInt64 = 0
  )
    throws
  {
    try config.validate()
    let store = ParameterStore(seed: seed, initialization: initialization)
    let root = store.root()
    hidden = NormalLinear(
      root.child(OANetKeys.discriminatorHidden), inFeatures: config.embeddingDim,
      outFeatures: config.discriminatorHidden, std: 0.01, bias: 0)
    output = NormalLinear(
      root.child(OANetKeys.discriminatorOutput), inFeatures: config.discriminatorHidden,
      outFeatures: config.numDomains, std: 0.3, bias: 0)
    self.store = store
  }

  /// SSDG's GRL coefficient `2 / (1 + exp(-10 p)) - 1` with `p = iteration / maxIterations`:
  /// 0 at the start, near 1 at the end. SSDG's GRL counts its forwards from 1, so its first
  /// iteration uses iteration 1.
  public static func reversalCoefficient(iteration: Int, maxIterations: Int = 4000) -> Float {
    let p = Double(iteration) / Double(Swift.max(maxIterations, 1))
    return Float(2 / (1 + Foundation.exp(-10 * p)) - 1)
  }

  /// `embeddings` [R, embeddingDim] -> domain logits [R, numDomains]; gradients reaching the
  /// embeddings are multiplied by `-reversal`.
  public func callAsFunction(_ embeddings: Tensor, reversal: Float, dropout: DropoutMask) throws -> Tensor {
    let h = try hidden(embeddings.gradientReversed(scale: reversal)).relu()
    let p = Self.dropoutProbability
    let dropped: Tensor
    switch dropout {
    case .none: dropped = h
    case .random(let generator): dropped = try h.dropout(p: p, training: true, generator: generator)
    case .fixed(let mask): dropped = try h.dropout(keepMask: mask, p: p)
    }
    return try output(dropped)
  }
}
