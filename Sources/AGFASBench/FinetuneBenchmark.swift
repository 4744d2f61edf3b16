import AGFASDFG
import AGFASDFGTraining
import AGFASDiffusion
import AGFASEngine
import AGFASNN
import Foundation

/// One fine-tuning step of the SD-1.5 UNet with random weights, as `agfas finetune-dfg` takes
/// it (`agfas bench finetune`): 256-pixel faces (32x32 latents), the identity condition's
/// [1, 49, 768] tokens, AdamW, clipping, and the EMA in the full fine-tune.
public enum FinetuneBenchmark {
  /// Work per step (GFLOP): the LoRA step runs the forward and the backward to the inputs
  /// (2 x 179); the full step also the weights' gradients (3 x 179).
  static let gflop: [String: Double] = ["lora step b1": 358, "full step b1": 537]

  /// Times the LoRA step (and the full step unless `full` is false, or the machine cannot
  /// hold it) in each dtype; `log` receives progress lines, including the peak resident memory.
  public static func run(dtypes: [DType], repeats: Int, full: Bool, log: (String) -> Void) throws -> [BenchResult] {
    var results: [BenchResult] = []
    for mode in full ? [FineTuneOptions.Mode.lora, .full] : [.lora] {
      for dtype in dtypes {
        let op = "\(mode.rawValue) step b1"
        log("building the SD-1.5 UNet with random weights for \(op) \(dtype == .float32 ? "fp32" : "bf16")")
        var options = FineTuneOptions()
        options.mode = mode
        options.precision = dtype == .float32 ? "fp32" : "bf16"
        let (step, memory) = try makeStep(options)
        log("  " + memory.summary)
        do {
          try memory.check()
        } catch {
          log("  skipped: \(error)")
          continue
        }
        PeakMemory.reset()
        let seconds = try medianSeconds(repeats: repeats, step)
        let r = BenchResult(op: op, dtype: options.precision, seconds: seconds, gflop: gflop[op]!)
        log(String(format: "  %@ %@: %.3f s, peak resident memory %.2f GiB", op, r.dtype, seconds, PeakMemory.gib()))
        results.append(r)
      }
    }
    return results
  }

  /// A closure that takes one optimizer step, and the run's memory estimate.
  static func makeStep(_ options: FineTuneOptions) throws -> (() throws -> Void, FineTuneMemory) {
    let store = ParameterStore(initialization: .fast)
    let unet = try UNet2DConditionModel(store.root(), config: .stableDiffusion15)
    let pipeline = DFGPipeline(
      unet: unet, vae: try AutoencoderKL(.stableDiffusion15, ParameterStore(initialization: .uninitialized).root()),
      identity: try ArcFaceIdentity(initialization: .uninitialized), schedulerConfig: .stableDiffusion15,
      unetParameters: store)
    let memory = try FineTuneMemory(pipeline: pipeline, options: options, faceSize: 256)
    let adapters = ParameterStore(seed: 0)
    let trainable: [Parameter]
    var ema: ExponentialMovingAverage?
    if options.mode == .lora {
      try LoRA.attach(
        to: store, targets: options.targets, rank: options.rank, alpha: Float(options.rank), adapters: adapters)
      trainable = adapters.trainable
      if options.computeType != .float32 { store.convert(to: options.computeType) }
    } else {
      trainable = store.trainable
      ema = try ExponentialMovingAverage(parameters: store.all, decay: options.emaDecay)
    }
    let optimizer = try AdamW(parameters: trainable, learningRate: options.learningRate)
    let objective = try DenoisingObjective(.stableDiffusion15)
    let generator = TorchGenerator(seed: 0)
    let context = generator.randn([1, 49, 768])
    let precision = MixedPrecision(computeType: options.computeType)
    var t = 0
    let step = {
      t = (t + 397) % 1000
      optimizer.zeroGrad()
      let (z0, noise) = (generator.randn([1, 4, 32, 32]), generator.randn([1, 4, 32, 32]))
      try precision.run(trainable) {
        try objective.loss(
          unet, z0: z0, noise: noise, timesteps: [t], context: context, computeType: options.computeType
        ).backward()
      }
      try GradientClipping.clipNorm(trainable, maxNorm: options.maxGradNorm)
      try optimizer.step()
      try ema?.step(store.all)
      optimizer.zeroGrad()
    }
    return (step, memory)
  }
}

/// The process's peak resident memory (VmHWM), resettable through /proc/self/clear_refs.
enum PeakMemory {
  static func reset() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }

  static func gib() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kb = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
    else { return 0 }
    return kb / 1024 / 1024
  }
}
