import AGFASDFG
import AGFASDFGTraining
import AGFASDiffusion
import AGFASEngine
import AGFASNN
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One fine-tuning step of the SD-1.5 UNet with random weights, as `agfas finetune-dfg` takes
/// it (`agfas bench finetune`): 256-pixel faces (32x32 latents), the identity condition's
/// [1, 49, 768] tokens, AdamW, clipping, and the EMA in the full fine-tune.
public enum FinetuneBenchmark {
  /// Work per step (GFLOP): the LoRA step runs the forward and the backward to the inputs
  /// (2 x 179); the full step also the weights' gradients (3 x 179).
  /// The checkpointed step recomputes the forward too, but does the same useful work.
  static let gflop: [String: Double] = ["lora step b1": 358, "lora step b1 checkpointed": 358, "full step b1": 537]

  /// Times the LoRA step (and the full step unless `full` is false, or the machine cannot
  /// hold it) in each dtype; `log` receives progress lines, including the peak resident memory.
  public static func run(dtypes: [DType], repeats: Int, full: Bool, log: (String) -> Void) throws -> [BenchResult] {
    var results: [BenchResult] = []
    let steps: [(FineTuneOptions.Mode, checkpointed: Bool)] =
      [(.lora, false), (.lora, true)] + (full ? [(.full, false)] : [])
    for (mode, checkpointed) in steps {
      for dtype in dtypes {
        let op = "\(mode.rawValue) step b1" + (checkpointed ? " checkpointed" : "")
        log("building the SD-1.5 UNet with random weights for \(op) \(dtype == .float32 ? "fp32" : "bf16")")
        var options = FineTuneOptions()
        options.mode = mode
        options.gradientCheckpointing = checkpointed
        options.precision = dtype == .float32 ? "fp32" : "bf16"
        // Measured before the model exists, as `finetune-dfg` does before loading it.
        ProcessMemory.resetPeak()
        let (step, memory) = try makeStep(options, available: FineTuneMemory.available())
        log("  " + memory.summary)
        do {
          try memory.check()
        } catch {
          log("  skipped: \(error)")
          continue
        }
        ProcessMemory.resetPeak()
        let seconds = try medianSeconds(repeats: repeats, step)
        let r = BenchResult(op: op, dtype: options.precision, seconds: seconds, gflop: gflop[op]!)
        log(
          String(
            format: "  %@ %@: %.3f s, peak resident memory %.2f GiB", op, r.dtype, seconds,
            Double(ProcessMemory.peakResidentBytes) / 1_073_741_824))
        results.append(r)
      }
    }
    // Hands the freed models back to the system before the PyTorch side runs beside us.
    ProcessMemory.resetPeak()
    return results
  }

  /// A closure that takes one optimizer step, and the run's memory estimate.
  static func makeStep(_ options: FineTuneOptions, available: Int?) throws -> (() throws -> Void, FineTuneMemory) {
    let store = ParameterStore(initialization: .fast)
    let unet = try UNet2DConditionModel(store.root(), config: .stableDiffusion15)
    let pipeline = DFGPipeline(
      unet: unet, vae: try AutoencoderKL(.stableDiffusion15, ParameterStore(initialization: .uninitialized).root()),
      identity: try ArcFaceIdentity(initialization: .uninitialized), schedulerConfig: .stableDiffusion15,
      unetParameters: store)
    let memory = try FineTuneMemory(pipeline: pipeline, options: options, faceSize: 256, available: available)
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
    let optimizer = try AdamW(parameters: trainable, learningRate: options.learningRate, updatesInPlace: true)
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
        let forwardBackward = {
          try objective.loss(
            unet, z0: z0, noise: noise, timesteps: [t], context: context, computeType: options.computeType
          ).backward()
        }
        if options.gradientCheckpointing == true {
          try ActivationCheckpointing.run(forwardBackward)
        } else {
          try forwardBackward()
        }
      }
      let norm = try GradientClipping.norm(trainable)
      try optimizer.step(gradientScale: GradientClipping.coefficient(norm: norm, maxNorm: options.maxGradNorm))
      try ema?.step(store.all)
      optimizer.zeroGrad()
    }
    return (step, memory)
  }
}
