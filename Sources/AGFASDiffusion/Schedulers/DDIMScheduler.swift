import AGFASEngine

/// diffusers' `DDIMScheduler` (v0.16), deterministic (eta = 0), epsilon prediction, with
/// optional clipping of the predicted clean sample.
public final class DDIMScheduler: DiffusionScheduler {
  public let schedule: NoiseSchedule
  public let numTrainTimesteps: Int
  public let stepsOffset: Int
  public let clipSample: Bool
  public let clipRange: Float
  public private(set) var timesteps: [Int] = []
  private var numInferenceSteps = 0

  public init(config: SchedulerConfig) throws {
    guard (config.predictionType ?? "epsilon") == "epsilon" else {
      throw SchedulerError.config("prediction_type '\(config.predictionType!)' is not supported by DDIM here (epsilon)")
    }
    schedule = try NoiseSchedule(config, setAlphaToOneDefault: true)
    numTrainTimesteps = config.numTrainTimesteps ?? 1000
    stepsOffset = config.stepsOffset ?? 0
    clipSample = config.clipSample ?? true
    clipRange = Float(config.clipSampleRange ?? 1)
  }

  public func setTimesteps(_ steps: Int) throws {
    guard steps >= 1, steps <= numTrainTimesteps else {
      throw SchedulerError.usage("inference steps must be in 1...\(numTrainTimesteps), got \(steps)")
    }
    numInferenceSteps = steps
    let ratio = numTrainTimesteps / steps
    timesteps = (0..<steps).reversed().map { $0 * ratio + stepsOffset }
    try schedule.checkTimesteps(timesteps, stepsOffset: stepsOffset)
  }

  public func step(modelOutput: Tensor, timestep: Int, sample: Tensor) throws -> Tensor {
    guard numInferenceSteps > 0 else { throw SchedulerError.usage("call setTimesteps before step") }
    let a = schedule.alphaBar(timestep)
    let aPrev = schedule.alphaBar(timestep - numTrainTimesteps / numInferenceSteps)
    let b = 1 - a
    var x0 = try (sample - modelOutput * b.squareRoot()) / a.squareRoot()
    if clipSample { x0 = try x0.clamped(min: -clipRange, max: clipRange) }
    return try x0 * aPrev.squareRoot() + modelOutput * (1 - aPrev).squareRoot()
  }

  public func addNoise(_ x0: Tensor, noise: Tensor, timestep: Int) throws -> Tensor {
    let (s, n) = schedule.noiseCoefficients(at: timestep)
    return try x0 * s + noise * n
  }
}
