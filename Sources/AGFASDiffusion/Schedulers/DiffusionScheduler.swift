import AGFASEngine

/// What the DFG pipeline needs of a scheduler: its timesteps, a denoising step and the
/// forward noising it starts from.
public protocol DiffusionScheduler: AnyObject {
  var schedule: NoiseSchedule { get }
  /// The inference timesteps, first to last (set by `setTimesteps`).
  var timesteps: [Int] { get }
  /// Prepares `steps` inference steps and resets the scheduler's state.
  func setTimesteps(_ steps: Int) throws
  /// The sample at the previous timestep given the model's noise prediction at `timestep`.
  func step(modelOutput: Tensor, timestep: Int, sample: Tensor) throws -> Tensor
  /// `sqrt(abar_t) * x0 + sqrt(1 - abar_t) * noise`.
  func addNoise(_ x0: Tensor, noise: Tensor, timestep: Int) throws -> Tensor
}

/// Builds the scheduler a config names (`_class_name`), or `kind` when given ("pndm", "ddim").
public func makeScheduler(_ config: SchedulerConfig, kind: String? = nil) throws -> any DiffusionScheduler {
  let name = kind ?? config.className ?? "PNDMScheduler"
  switch name.lowercased() {
  case "pndm", "pndmscheduler": return try PNDMScheduler(config: config)
  case "ddim", "ddimscheduler": return try DDIMScheduler(config: config)
  default: throw SchedulerError.config("scheduler '\(name)' is not supported (pndm, ddim)")
  }
}
