/// The forward-process noise levels shared by the schedulers: betas and their cumulative
/// products of (1 - beta), computed in fp32 the way diffusers/PyTorch compute them.
public struct NoiseSchedule: Sendable {
  public let alphasCumprod: [Float]
  /// The alpha-bar used after the last step (1, or alphas_cumprod[0] when set_alpha_to_one is false).
  public let finalAlphaCumprod: Float

  public init(_ config: SchedulerConfig, setAlphaToOneDefault: Bool) throws {
    let n = config.numTrainTimesteps ?? 1000
    guard n > 1 else { throw SchedulerError.config("num_train_timesteps must be > 1, got \(n)") }
    // Checked before the betas are allocated (n floats each, twice).
    guard n <= ConfigLimits.maxTrainTimesteps else {
      throw SchedulerError.config(
        "num_train_timesteps is \(n); at most \(ConfigLimits.maxTrainTimesteps) is accepted (see docs/limits.md)")
    }
    // Timesteps are `i * ratio + steps_offset`: bounding it keeps that sum from overflowing.
    if let offset = config.stepsOffset, offset < 0 || offset >= n {
      throw SchedulerError.config("steps_offset is \(offset); it must lie in 0..<num_train_timesteps (\(n))")
    }
    let start = config.betaStart ?? 0.0001
    let end = config.betaEnd ?? 0.02
    let betas: [Float]
    if let trained = config.trainedBetas {
      guard trained.count == n else {
        throw SchedulerError.config("trained_betas has \(trained.count) values for \(n) timesteps")
      }
      betas = trained.map { Float($0) }
    } else {
      switch config.betaSchedule ?? "linear" {
      case "linear":
        betas = NoiseSchedule.linspace(Float(start), Float(end), n)
      case "scaled_linear":
        betas = NoiseSchedule.linspace(Float(start.squareRoot()), Float(end.squareRoot()), n).map { $0 * $0 }
      case let other:
        throw SchedulerError.config("beta_schedule '\(other)' is not supported (linear, scaled_linear)")
      }
    }
    try NoiseSchedule.checkBetas(betas, trained: config.trainedBetas != nil)
    // torch.cumprod accumulates fp32 inputs in double and stores each prefix as fp32.
    var acc: Double = 1
    alphasCumprod = betas.map { beta in
      acc *= Double(1 - beta)
      return Float(acc)
    }
    finalAlphaCumprod = (config.setAlphaToOne ?? setAlphaToOneDefault) ? 1 : alphasCumprod[0]
  }

  /// Betas are noise variances: each must lie in (0, 1), or alpha-bar leaves (0, 1] and the
  /// sampler divides by zero or takes roots of negatives (betas of 2..5 decoded to an all-black
  /// image with exit 0). They must not decrease: every diffusers schedule adds noise as t grows.
  static func checkBetas(_ betas: [Float], trained: Bool) throws {
    let source = trained ? "trained_betas" : "beta_start/beta_end"
    if let (i, bad) = betas.enumerated().first(where: { !($0.element > 0 && $0.element < 1) }) {
      throw SchedulerError.config("\(source) gives beta[\(i)] = \(bad); every beta must lie in (0, 1)")
    }
    if let i = betas.indices.dropFirst().first(where: { betas[$0] < betas[$0 - 1] }) {
      throw SchedulerError.config(
        "\(source) gives beta[\(i)] = \(betas[i]) below beta[\(i - 1)] = \(betas[i - 1]); betas must not decrease")
    }
  }

  /// Every inference timestep must index the schedule: a `steps_offset` from the file (or as
  /// many steps as training timesteps with offset 1) would otherwise read past its end.
  func checkTimesteps(_ timesteps: [Int], stepsOffset: Int) throws {
    if let bad = timesteps.first(where: { $0 < 0 || $0 >= alphasCumprod.count }) {
      throw SchedulerError.usage(
        "timestep \(bad) (steps_offset \(stepsOffset)) is outside 0..<\(alphasCumprod.count); use fewer steps or fix steps_offset"
      )
    }
  }

  /// torch.linspace in fp32: the first half steps up from `start`, the second half down from
  /// `end`, so both ends are exact.
  static func linspace(_ start: Float, _ end: Float, _ n: Int) -> [Float] {
    let step = (end - start) / Float(n - 1)
    let half = n / 2
    return (0..<n).map { i in i < half ? start + step * Float(i) : end - step * Float(n - 1 - i) }
  }

  /// alpha-bar at `t`, or the final value for t < 0.
  public func alphaBar(_ t: Int) -> Float { t >= 0 ? alphasCumprod[t] : finalAlphaCumprod }

  /// `sqrt(abar_t) * x0 + sqrt(1 - abar_t) * noise` (diffusers' add_noise), in fp32.
  public func noiseCoefficients(at t: Int) -> (signal: Float, noise: Float) {
    let a = alphasCumprod[t]
    return (a.squareRoot(), (1 - a).squareRoot())
  }
}
