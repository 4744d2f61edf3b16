import AGFASDiffusion
import AGFASEngine

/// The training objective of diffusers' text-to-image scripts (and the DFG's, docs/method.md
/// §2): clean latents `z0` are noised to per-sample timesteps with DDPM's forward process,
/// the UNet predicts the scheduler's `prediction_type` target from them, and the loss is the
/// mean squared error in fp32.
public struct DenoisingObjective: Sendable {
  /// What the UNet learns to predict (the scheduler config's `prediction_type`).
  public enum Prediction: String, Sendable, CaseIterable {
    case epsilon
    case velocity = "v_prediction"
    case sample
  }

  public let schedule: NoiseSchedule
  public let prediction: Prediction

  /// From a scheduler config: its betas and prediction type (default epsilon, as diffusers).
  public init(_ config: SchedulerConfig) throws {
    schedule = try NoiseSchedule(config, setAlphaToOneDefault: false)
    let type = config.predictionType ?? "epsilon"
    guard let prediction = Prediction(rawValue: type) else {
      throw SchedulerError.config(
        "prediction_type '\(type)' is not one of \(Prediction.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    self.prediction = prediction
  }

  /// Timesteps a training batch may draw: 0 ..< num_train_timesteps.
  public var timestepRange: Range<Int> { 0..<schedule.alphasCumprod.count }

  /// `sqrt(abar_t) * z0 + sqrt(1 - abar_t) * noise`, t per sample (DDPMScheduler.add_noise).
  public func noisy(_ z0: Tensor, noise: Tensor, timesteps: [Int]) throws -> Tensor {
    let (signal, noiseScale) = try coefficients(timesteps, batch: z0)
    return try z0 * signal + noise * noiseScale
  }

  /// The regression target for `prediction`: the noise, the velocity
  /// `sqrt(abar_t) * noise - sqrt(1 - abar_t) * z0` (DDPMScheduler.get_velocity), or z0.
  public func target(_ z0: Tensor, noise: Tensor, timesteps: [Int]) throws -> Tensor {
    switch prediction {
    case .epsilon: return noise
    case .sample: return z0
    case .velocity:
      let (signal, noiseScale) = try coefficients(timesteps, batch: z0)
      return try noise * signal - z0 * noiseScale
    }
  }

  /// The loss of `unet` on one batch: `z0`, `noise` [B, C, h, w], `timesteps` (B values),
  /// `context` [B, S, D]. The UNet computes in `computeType` (its inputs are converted); the
  /// loss is fp32. Differentiable with respect to every tracked parameter.
  public func loss(
    _ unet: UNet2DConditionModel, z0: Tensor, noise: Tensor, timesteps: [Int], context: Tensor,
    computeType: DType = .float32
  ) throws -> Tensor {
    let x = try noisy(z0, noise: noise, timesteps: timesteps)
    let t = try Tensor(timesteps.map(Float.init), shape: [timesteps.count])
    let prediction = try unet(
      x.converted(to: computeType), timestep: t, encoderHiddenStates: context.converted(to: computeType))
    let difference = try prediction.converted(to: .float32) - target(z0, noise: noise, timesteps: timesteps)
    return try (difference * difference).mean()
  }

  /// Per-sample coefficients [B, 1, ..., 1] that broadcast over `batch`.
  private func coefficients(_ timesteps: [Int], batch: Tensor) throws -> (Tensor, Tensor) {
    guard batch.rank >= 1, timesteps.count == batch.shape[0] else {
      throw TensorError.invalidArgument(
        op: "DenoisingObjective", reason: "\(timesteps.count) timesteps for a batch of shape \(batch.shape)")
    }
    if let bad = timesteps.first(where: { !timestepRange.contains($0) }) {
      throw TensorError.invalidArgument(
        op: "DenoisingObjective",
        reason: "timestep \(bad) is outside \(timestepRange.lowerBound)..<\(timestepRange.upperBound)")
    }
    let shape = [timesteps.count] + Array(repeating: 1, count: batch.rank - 1)
    let pairs = timesteps.map { schedule.noiseCoefficients(at: $0) }
    return (try Tensor(pairs.map(\.signal), shape: shape), try Tensor(pairs.map(\.noise), shape: shape))
  }
}
