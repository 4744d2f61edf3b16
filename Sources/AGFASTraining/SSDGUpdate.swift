import AGFASEngine
import AGFASNN
import AGFASOANet

/// The arithmetic a training run computes in: fp32, or bf16 compute over fp32 master weights
/// (SGD, momentum buffers, BatchNorm statistics and checkpoints stay fp32).
public enum TrainingPrecision: String, Codable, CaseIterable, Sendable {
  case fp32, bf16

  public var computeType: DType { self == .fp32 ? .float32 : .bfloat16 }

  /// The precision that computes in `computeType`.
  public init(computeType: DType) { self = computeType == .float32 ? .fp32 : .bf16 }
}

/// One SSDG optimisation step on a prepared batch: forward, the three losses, backward, SGD.
/// `Trainer` runs it every iteration; `agfas bench oanet` times it.
public struct SSDGUpdate {
  public let model: OANet
  public let discriminator: DomainDiscriminator
  public let optimizer: SGD
  public let objective: SSDGObjective
  public let precision: TrainingPrecision

  public init(
    model: OANet, discriminator: DomainDiscriminator, optimizer: SGD, objective: SSDGObjective = SSDGObjective(),
    precision: TrainingPrecision = .fp32
  ) {
    self.model = model
    self.discriminator = discriminator
    self.optimizer = optimizer
    self.objective = objective
    self.precision = precision
  }

  /// `input` the anomalous-cue batch [B,6,H,W] (fp32); `labels` 1 live / 0 spoof and source
  /// `domains` per sample. Returns the loss terms (fp32: the losses run in fp32) and how many
  /// parameters SGD updated (those that got a gradient).
  @discardableResult
  public func callAsFunction(
    _ input: Tensor, labels: [Int], domains: [Int], reversal: Float, dropout: DropoutMask
  ) throws -> (terms: SSDGLossTerms, updated: Int) {
    optimizer.zeroGrad()
    let terms = try MixedPrecision(computeType: precision.computeType).run(optimizer.parameters) {
      let output = try model(input, training: true)
      let terms = try objective(
        output, labels: labels, domains: domains, discriminator: discriminator, reversal: reversal, dropout: dropout)
      try terms.total.backward()
      return terms
    }
    return (terms, try optimizer.step())
  }

  /// Eval-mode work (validation, scoring) in this step's precision, on the same masters.
  public func inference<T>(_ body: () throws -> T) rethrows -> T {
    try withoutGrad { try MixedPrecision(computeType: precision.computeType).run(optimizer.parameters, body) }
  }
}
