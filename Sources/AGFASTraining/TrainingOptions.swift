/// The SSDG recipe's knobs (docs/method.md §5 defaults) and the run's bookkeeping intervals.
public struct TrainingOptions: Codable, Equatable, Sendable {
  /// Total iterations (4000).
  public var iterations = 4000
  /// Peak learning rate, reached after the warm-up (1e-3, all parameters).
  public var learningRate: Float = 1e-3
  /// Share of the run spent warming up linearly (10%).
  public var warmupFraction = 0.1
  public var momentum: Float = 0.9
  public var weightDecay: Float = 5e-4
  public var tripletWeight: Float = 1.0
  public var adversarialWeight: Float = 0.5
  /// Live and spoof frames per source domain per iteration (10 + 10).
  public var perClass = 10
  /// Validate on the target domain every this many iterations (0: never).
  public var validateEvery = 10
  /// Save the resumable checkpoint every this many iterations (and at the end).
  public var checkpointEvery = 10
  /// Frames per forward during validation.
  public var validationBatch = 16
  /// Seeds the model's initialisation, the sampler, the flips and the dropout masks.
  public var seed: UInt64 = 0
  /// fp32, or bf16 compute over fp32 master weights.
  public var precision = TrainingPrecision.fp32

  public init() {}

  /// The learning-rate schedule these options describe.
  public var schedule: LearningRateSchedule {
    LearningRateSchedule(base: learningRate, iterations: iterations, warmupFraction: warmupFraction)
  }

  /// The options that decide the result (everything but how often to validate, checkpoint
  /// and the validation batch): a resumed run must keep them.
  public var recipe: String {
    "iterations \(iterations), lr \(learningRate), warm-up \(warmupFraction), momentum \(momentum), "
      + "weight decay \(weightDecay), triplet \(tripletWeight), adversarial \(adversarialWeight), "
      + "per class \(perClass), seed \(seed)" + (precision == .fp32 ? "" : ", precision \(precision.rawValue)")
  }

  /// Throws naming the first unusable option.
  public func validate() throws {
    for (name, v) in [
      ("iterations", iterations), ("per-class samples", perClass), ("validation batch", validationBatch),
      ("checkpoint interval", checkpointEvery),
    ] where v <= 0 {
      throw TrainingError.options("\(name) \(v) must be > 0")
    }
    guard validateEvery >= 0 else { throw TrainingError.options("validation interval \(validateEvery) must be >= 0") }
    guard learningRate.isFinite, learningRate > 0 else {
      throw TrainingError.options("learning rate \(learningRate) must be a finite number > 0")
    }
    guard warmupFraction >= 0, warmupFraction <= 1 else {
      throw TrainingError.options("warm-up fraction \(warmupFraction) must be in [0, 1]")
    }
  }
}

extension TrainingOptions {
  private enum CodingKeys: String, CodingKey {
    case iterations, learningRate, warmupFraction, momentum, weightDecay, tripletWeight, adversarialWeight, perClass,
      validateEvery, checkpointEvery, validationBatch, seed, precision
  }

  /// Keys missing from the JSON keep their defaults: checkpoints written before an option
  /// existed still load (and still resume, their recipe unchanged).
  public init(from decoder: Decoder) throws {
    self.init()
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
      if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
    }
    try read(.iterations, &iterations)
    try read(.learningRate, &learningRate)
    try read(.warmupFraction, &warmupFraction)
    try read(.momentum, &momentum)
    try read(.weightDecay, &weightDecay)
    try read(.tripletWeight, &tripletWeight)
    try read(.adversarialWeight, &adversarialWeight)
    try read(.perClass, &perClass)
    try read(.validateEvery, &validateEvery)
    try read(.checkpointEvery, &checkpointEvery)
    try read(.validationBatch, &validationBatch)
    try read(.seed, &seed)
    try read(.precision, &precision)
  }
}
