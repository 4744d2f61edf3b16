import Foundation

/// A diffusers `scheduler_config.json` (PNDMScheduler or DDIMScheduler), keys as written there.
/// Missing keys take the defaults of the class being configured (see `PNDMScheduler`,
/// `DDIMScheduler`), which is how diffusers' `from_config` fills them.
public struct SchedulerConfig: Codable, Sendable, Equatable {
  public var className: String?
  public var numTrainTimesteps: Int?
  public var betaStart: Double?
  public var betaEnd: Double?
  public var betaSchedule: String?
  public var trainedBetas: [Double]?
  public var skipPrkSteps: Bool?
  public var setAlphaToOne: Bool?
  public var stepsOffset: Int?
  public var predictionType: String?
  public var clipSample: Bool?
  public var clipSampleRange: Double?

  enum CodingKeys: String, CodingKey {
    case className = "_class_name"
    case numTrainTimesteps = "num_train_timesteps"
    case betaStart = "beta_start"
    case betaEnd = "beta_end"
    case betaSchedule = "beta_schedule"
    case trainedBetas = "trained_betas"
    case skipPrkSteps = "skip_prk_steps"
    case setAlphaToOne = "set_alpha_to_one"
    case stepsOffset = "steps_offset"
    case predictionType = "prediction_type"
    case clipSample = "clip_sample"
    case clipSampleRange = "clip_sample_range"
  }

  public init() {}

  /// Stable Diffusion 1.5's `scheduler/scheduler_config.json`.
  public static let stableDiffusion15: SchedulerConfig = {
    var c = SchedulerConfig()
    c.className = "PNDMScheduler"
    c.numTrainTimesteps = 1000
    c.betaStart = 0.00085
    c.betaEnd = 0.012
    c.betaSchedule = "scaled_linear"
    c.skipPrkSteps = true
    c.setAlphaToOne = false
    c.stepsOffset = 1
    c.clipSample = false
    return c
  }()

  /// Reads a `scheduler_config.json` and checks it builds its scheduler (bounds, betas, class),
  /// so a bad file is one error naming it, before any work starts.
  public static func load(_ path: String) throws -> SchedulerConfig {
    let config: SchedulerConfig = try readConfigFile(path, kind: "a scheduler") { reason, _ in
      SchedulerError.config("\(path): \(reason)")
    }
    do {
      _ = try makeScheduler(config)
    } catch SchedulerError.config(let message) {
      throw SchedulerError.config("\(path): \(message)")
    }
    return config
  }

}

/// Scheduler misuse or unsupported configurations.
public enum SchedulerError: Error, CustomStringConvertible, Equatable {
  case config(String)
  case usage(String)

  public var description: String {
    switch self {
    case .config(let m): "scheduler config: \(m)"
    case .usage(let m): "scheduler: \(m)"
    }
  }
}
