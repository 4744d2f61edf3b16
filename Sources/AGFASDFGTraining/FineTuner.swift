import AGFASDFG
import AGFASDiffusion
import AGFASEngine
import AGFASImage
import AGFASNN
import Foundation

/// Fine-tunes the DFG's UNet on real faces (docs/finetune.md), as diffusers'
/// `train_text_to_image_lora.py` (LoRA) and `train_text_to_image.py --use_ema` (full) do,
/// with the DFG's ArcFace identity tokens as the condition. Writes into `output`:
///
/// - `pytorch_lora_weights.safetensors` (LoRA) or `unet/` and `unet_ema/` (full, diffusers
///   folders), at every checkpoint and at the end;
/// - `checkpoint.safetensors`: the whole run state (`FineTuneCheckpoint`);
/// - `log.jsonl`: one line per step (loss, learning rate, gradient norm, seconds) and the
///   validation PSNR on validated steps; `validation/step-N/`: the held-out faces' reconstructions.
public final class FineTuner {
  public let pipeline: DFGPipeline
  public let unetParameters: ParameterStore
  /// The LoRA adapters' parameters (empty for a full fine-tune).
  public let adapters = ParameterStore(seed: 0)
  public let options: FineTuneOptions
  public let faces: FaceSet
  public let output: String
  public let objective: DenoisingObjective
  public let optimizer: AdamW
  public let ema: ExponentialMovingAverage?
  /// The weights that train: the adapters, or every UNet weight.
  public let trainable: [Parameter]
  /// The config.json of the UNet folder the run started from (written with full outputs).
  let baseConfig: [String: Any]
  public private(set) var step = 0
  public private(set) var encoded: EncodedFaces?
  /// Receives a one-line summary after each step and each stage (the command prints it).
  public var onProgress: ((String) -> Void)?
  private var log: TrainingLog?
  private var roundTrips: [Image]?
  private let started = Date()

  public var checkpointPath: String { output + "/checkpoint.safetensors" }
  public var logPath: String { output + "/log.jsonl" }
  public var loraPath: String { output + "/pytorch_lora_weights.safetensors" }

  /// `pipeline` must be loaded from files in fp32 (`DFGPipeline.load`); `unetFolder` is the
  /// folder it read the UNet from (its config is copied into full outputs). `resume` continues
  /// from `output`'s checkpoint; without it an existing checkpoint is an error.
  public init(
    pipeline: DFGPipeline, unetFolder: String, faces: FaceSet, options: FineTuneOptions, output: String, resume: Bool
  ) throws {
    try options.validate()
    guard let store = pipeline.unetParameters, pipeline.precision == .float32 else {
      throw FineTuneError.options("fine-tuning needs the DFG loaded from files in fp32 (masters stay fp32)")
    }
    self.pipeline = pipeline
    unetParameters = store
    self.options = options
    self.faces = faces
    self.output = output
    objective = try DenoisingObjective(pipeline.schedulerConfig)
    baseConfig = try DiffusersUNetFolder.config(of: unetFolder)
    switch options.mode {
    case .lora:
      try LoRA.attach(
        to: store, targets: options.targets, rank: options.rank, alpha: options.alpha ?? Float(options.rank),
        adapters: adapters)
      trainable = adapters.trainable
      ema = nil
      // The frozen base computes in the compute type; only the adapters keep fp32 masters.
      if options.computeType != .float32 { store.convert(to: options.computeType) }
    case .full:
      trainable = store.trainable
      ema = try ExponentialMovingAverage(parameters: store.all, decay: options.emaDecay)
    }
    optimizer = try AdamW(
      parameters: trainable, learningRate: options.learningRate, beta1: options.beta1, beta2: options.beta2,
      epsilon: options.epsilon, weightDecay: options.weightDecay, updatesInPlace: true)
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    if FileManager.default.fileExists(atPath: checkpointPath) {
      guard resume else {
        throw FineTuneError.checkpoint(
          "\(checkpointPath) exists: pass --resume to continue it, or choose another --out")
      }
      step = try FineTuneCheckpoint.restore(
        from: checkpointPath, trainable: trainable, optimizer: optimizer, ema: ema, options: options)
    }
  }

  /// The learning-rate schedule over the run's steps.
  public var schedule: FineTuneSchedule {
    FineTuneSchedule(
      kind: options.schedule, base: options.learningRate, warmupSteps: options.warmupSteps, totalSteps: options.steps)
  }

  /// Trains until `options.steps` (or step `stoppingAfter`, to pause a run); returns the step reached.
  @discardableResult
  public func run(stoppingAfter: Int? = nil) throws -> Int {
    let last = min(options.steps, stoppingAfter ?? options.steps)
    if log == nil { log = try TrainingLog(path: logPath, keepingThrough: step, stepKey: "step") }
    if encoded == nil {
      onProgress?("encoding \(faces.training.count) training faces (VAE posterior, ArcFace tokens) ...")
      encoded = try EncodedFaces(faces.training, set: faces, pipeline: pipeline)
    }
    if step == 0, options.validateEvery > 0, !faces.validation.isEmpty {
      var record: [String: Any] = ["step": 0]
      record.merge(try validate(0)) { a, _ in a }
      try log?.append(record)
    }
    while step < last {
      let s = step + 1
      var record = try train(s)
      step = s
      if options.validateEvery > 0, !faces.validation.isEmpty, s % options.validateEvery == 0 || s == options.steps {
        record.merge(try validate(s)) { a, _ in a }
      }
      if s % options.checkpointEvery == 0 || s == options.steps || s == last {
        try saveOutputs()
        try FineTuneCheckpoint.save(
          to: checkpointPath, step: s, trainable: trainable, optimizer: optimizer, ema: ema, options: options)
      }
      try log?.append(record)
      onProgress?(summary(record))
    }
    return step
  }

  /// The faces and draws of micro-batch `micro` of 1-based step `s`: a pure function of the
  /// seed, the step and the micro-batch (epoch-wise shuffles of the training faces).
  func draws(step s: Int, micro: Int) throws -> (indices: [Int], posterior: Tensor, noise: Tensor, timesteps: [Int]) {
    guard let encoded else { throw FineTuneError.data("faces are not encoded yet") }
    let n = encoded.count
    let b = options.batch
    var indices: [Int] = []
    for j in 0..<b {
      let k = ((s - 1) * options.accumulation + micro) * b + j
      var shuffle = SeededRandom(seed: options.seed, 1, k / n)
      indices.append(shuffle.permutation(n)[k % n])
    }
    var random = SeededRandom(seed: options.seed, 2, s, micro)
    let generator = TorchGenerator(seed: random.next())
    let shape = [b] + encoded.latentShape.dropFirst()
    let posterior = generator.randn(shape)
    let noise = generator.randn(shape)
    let range = objective.timestepRange
    let timesteps = (0..<b).map { _ in range.lowerBound + random.below(range.count) }
    return (indices, posterior, noise, timesteps)
  }

  /// One optimizer step: `accumulation` micro-batches, each loss divided by their number
  /// before its backward (as accelerate does), clipping, AdamW, the EMA.
  func train(_ s: Int) throws -> [String: Any] {
    let clock = Date()
    guard let encoded else { throw FineTuneError.data("faces are not encoded yet") }
    let rate = schedule.rate(step: s - 1)
    optimizer.learningRate = rate
    optimizer.zeroGrad()
    var total: Double = 0
    let precision = MixedPrecision(computeType: options.computeType)
    for micro in 0..<options.accumulation {
      let d = try draws(step: s, micro: micro)
      let (z0, context) = try encoded.batch(d.indices, posteriorNoise: d.posterior)
      let loss = try precision.run(trainable) {
        try checkpointing {
          let loss = try objective.loss(
            pipeline.unet, z0: z0, noise: d.noise, timesteps: d.timesteps, context: context,
            computeType: options.computeType)
          try (loss * (1 / Float(options.accumulation))).backward()
          return loss
        }
      }
      let value = Double(loss.toArray()[0])
      guard value.isFinite else {
        throw FineTuneError.data("the loss at step \(s) is \(value): training diverged (lower --learning-rate)")
      }
      total += value
    }
    let norm = try GradientClipping.norm(trainable)
    try optimizer.step(gradientScale: GradientClipping.coefficient(norm: norm, maxNorm: options.maxGradNorm))
    try ema?.step(unetParameters.all)
    // Frees the graph's saved activations and gradients before the next step.
    optimizer.zeroGrad()
    return [
      "step": s, "loss": total / Double(options.accumulation), "lr": Double(rate), "grad_norm": Double(norm),
      "seconds": Date().timeIntervalSince(clock),
    ]
  }

  /// Runs a forward and backward with activation checkpointing when the options ask for it.
  private func checkpointing<T>(_ body: () throws -> T) rethrows -> T {
    options.gradientCheckpointing == true ? try ActivationCheckpointing.run(body) : try body()
  }

  /// Reconstructs the held-out faces with the current weights (the EMA's, in a full
  /// fine-tune) and writes them with their PSNR to the input.
  func validate(_ s: Int) throws -> [String: Any] {
    onProgress?("validating on \(faces.validation.count) held-out faces ...")
    let folder = output + "/validation/step-\(String(format: "%06d", s))"
    try FileSystemError.createFolder(folder)
    let (x, inputs) = try faces.tensor(faces.validation)
    let reconstruction = try withEMAWeights {
      try pipeline.reconstruct(
        x, seeds: Array(repeating: options.seed, count: inputs.count),
        options: .init(strength: options.validationStrength, steps: options.validationSteps))
    }
    let images = try Image.images(fromBatch: reconstruction)
    if roundTrips == nil { roundTrips = try vaeRoundTrips(x) }
    var perFace: [[String: Any]] = []
    for (i, (face, (input, image))) in zip(faces.validation, zip(inputs, images)).enumerated() {
      let name = face.relative.replacingOccurrences(of: "/", with: "__")
      let stem = (name as NSString).deletingPathExtension
      try image.writePNG(to: "\(folder)/\(stem).png")
      perFace.append([
        "face": face.relative, "psnr": Self.psnr(input, image),
        "psnr_vae": roundTrips.map { Self.psnr($0[i], image) } ?? 0,
      ])
    }
    func mean(_ key: String) -> Double {
      perFace.map { $0[key] as? Double ?? 0 }.reduce(0, +) / Double(max(perFace.count, 1))
    }
    return ["validation_psnr": mean("psnr"), "validation_psnr_vae": mean("psnr_vae"), "validation": perFace]
  }

  /// The held-out faces through the VAE alone (decode of the posterior mean): the best any
  /// UNet can reconstruct, so PSNR to it shows the UNet's part apart from the VAE's.
  private func vaeRoundTrips(_ x: Tensor) throws -> [Image] {
    let decoded = try withoutGrad {
      let face = x.converted(to: pipeline.precision)
      return try pipeline.vae.decode(pipeline.vae.encode(face).mean).converted(to: .float32)
    }
    return try Image.images(fromBatch: decoded)
  }

  /// Runs `body` with the EMA's averages in place of the UNet's weights (full fine-tune).
  private func withEMAWeights<T>(_ body: () throws -> T) throws -> T {
    guard let ema else { return try body() }
    let saved = unetParameters.all.map { ($0, $0.value) }
    for p in unetParameters.all { if let average = ema.shadow[p.path] { p.value = average } }
    defer {
      for (p, v) in saved { p.value = v }
      // The averages' reordered copies would stay beside them until the next step replaces them.
      for average in ema.shadow.values { average.storage.invalidateDerived() }
    }
    return try body()
  }

  /// Writes the run's product: the LoRA file, or the `unet/` and `unet_ema/` folders.
  public func saveOutputs() throws {
    switch options.mode {
    case .lora:
      try LoRAWeights(attachedTo: unetParameters).write(to: loraPath, targets: options.targets)
    case .full:
      let weights = Dictionary(uniqueKeysWithValues: unetParameters.all.map { ($0.path, $0.trainedValue) })
      try DiffusersUNetFolder.write(weights, config: baseConfig, to: output + "/unet")
      if let ema {
        try DiffusersUNetFolder.write(ema.shadow, config: baseConfig, to: output + "/unet_ema", ema: ema)
      }
    }
  }

  /// PSNR in dB of two 8-bit images of one size (RGB samples; infinity when equal).
  public static func psnr(_ a: Image, _ b: Image) -> Double {
    let (x, y) = (a.rgb().pixels, b.rgb().pixels)
    guard x.count == y.count, !x.isEmpty else { return 0 }
    var sum: Double = 0
    for i in 0..<x.count {
      let d = Double(x[i]) - Double(y[i])
      sum += d * d
    }
    let mse = sum / Double(x.count)
    return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
  }

  func summary(_ r: [String: Any]) -> String {
    let s = r["step"] as? Int ?? 0
    let elapsed = Date().timeIntervalSince(started)
    let perStep = r["seconds"] as? Double ?? 0
    let eta = perStep * Double(options.steps - s)
    var line = String(
      format: "step %d/%d loss %.5f lr %.2e grad norm %.4f %.2f s/step ETA %@ (elapsed %@)", s, options.steps,
      r["loss"] as? Double ?? 0, r["lr"] as? Double ?? 0, r["grad_norm"] as? Double ?? 0, perStep,
      Self.duration(eta), Self.duration(elapsed))
    if let psnr = r["validation_psnr"] as? Double, let vae = r["validation_psnr_vae"] as? Double {
      line += String(format: " | validation PSNR %.2f dB to the faces, %.2f dB to their VAE round trip", psnr, vae)
    }
    return line
  }

  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600
      ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : "\(s / 60)m\(String(format: "%02d", s % 60))s"
  }
}
