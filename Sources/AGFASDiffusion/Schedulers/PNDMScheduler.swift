import AGFASEngine

/// diffusers' `PNDMScheduler` (v0.16), PLMS path (`skip_prk_steps: true`, as Stable Diffusion
/// 1.5 ships it), reproducing its state machine exactly, quirks included:
///
/// - `setTimesteps(50)` yields 981, 961, 961, 941, ..., 21, 1 (the second-to-last training
///   step repeated, so the first PLMS step can be a Heun-like correction).
/// - The internal counter does not know about skipped timesteps: when a caller starts part-way
///   (the DFG starts at t=801 and keeps only timesteps <= 801), call 1 steps 801->781, call 2
///   redoes 801->781 with the mean of both noise predictions, and call k >= 3 steps from
///   timestep t_k while the latent is really one step further on. AG-FAS was evaluated this way.
public final class PNDMScheduler: DiffusionScheduler {
  public let schedule: NoiseSchedule
  public let numTrainTimesteps: Int
  public let stepsOffset: Int
  public private(set) var timesteps: [Int] = []
  private var numInferenceSteps = 0
  private var ets: [Tensor] = []
  private var counter = 0
  private var currentSample: Tensor?

  public init(config: SchedulerConfig) throws {
    guard config.skipPrkSteps ?? false else {
      throw SchedulerError.config(
        "PNDM with Runge-Kutta warm-up (skip_prk_steps false) is not supported; set skip_prk_steps true")
    }
    guard (config.predictionType ?? "epsilon") == "epsilon" else {
      throw SchedulerError.config("prediction_type '\(config.predictionType!)' is not supported by PNDM here (epsilon)")
    }
    schedule = try NoiseSchedule(config, setAlphaToOneDefault: false)
    numTrainTimesteps = config.numTrainTimesteps ?? 1000
    stepsOffset = config.stepsOffset ?? 0
  }

  public func setTimesteps(_ steps: Int) throws {
    guard steps >= 2, steps <= numTrainTimesteps else {
      throw SchedulerError.usage("inference steps must be in 2...\(numTrainTimesteps), got \(steps)")
    }
    numInferenceSteps = steps
    let ratio = numTrainTimesteps / steps
    let base = (0..<steps).map { $0 * ratio + stepsOffset }
    timesteps = Array((base.dropLast() + [base[steps - 2], base[steps - 1]]).reversed())
    try schedule.checkTimesteps(timesteps, stepsOffset: stepsOffset)
    ets = []
    counter = 0
    currentSample = nil
  }

  public func step(modelOutput: Tensor, timestep: Int, sample: Tensor) throws -> Tensor {
    guard numInferenceSteps > 0 else { throw SchedulerError.usage("call setTimesteps before step") }
    let stride = numTrainTimesteps / numInferenceSteps
    var from = timestep
    var to = timestep - stride
    var eps = modelOutput
    var x = sample
    if counter != 1 {
      ets = Array(ets.suffix(3)) + [modelOutput]
    } else {
      // The correction step re-runs the previous interval.
      to = timestep
      from = timestep + stride
    }
    switch (ets.count, counter) {
    case (1, 0):
      currentSample = sample
    case (1, 1):
      eps = try (modelOutput + ets[0]) / 2
      x = currentSample!
      currentSample = nil
    case (2, _):
      eps = try (ets[1] * 3 - ets[0]) / 2
    case (3, _):
      eps = try (ets[2] * 23 - ets[1] * 16 + ets[0] * 5) / 12
    default:
      eps = try (ets[3] * 55 - ets[2] * 59 + ets[1] * 37 - ets[0] * 9) * (1.0 / 24)
    }
    counter += 1
    return try previousSample(x, from: from, to: to, eps: eps)
  }

  /// One DDIM-like transfer from `from` to `to` given the noise estimate (PNDM paper, eq. 9),
  /// with diffusers' fp32 operation order.
  func previousSample(_ x: Tensor, from t: Int, to prev: Int, eps: Tensor) throws -> Tensor {
    let a = schedule.alphaBar(t)
    let aPrev = schedule.alphaBar(prev)
    let b = 1 - a
    let bPrev = 1 - aPrev
    let sampleCoeff = (aPrev / a).squareRoot()
    let denom = a * bPrev.squareRoot() + (a * b * aPrev).squareRoot()
    return try x * sampleCoeff - (eps * (aPrev - a)) / denom
  }

  public func addNoise(_ x0: Tensor, noise: Tensor, timestep: Int) throws -> Tensor {
    let (s, n) = schedule.noiseCoefficients(at: timestep)
    return try x0 * s + noise * n
  }
}
