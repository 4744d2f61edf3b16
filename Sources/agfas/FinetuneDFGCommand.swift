import AGFASDFG
import AGFASDFGTraining
import AGFASEngine
import ArgumentParser
import Foundation

struct FinetuneDFG: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "finetune-dfg",
    abstract: "Fine-tune the De-fake Face Generator on your own real faces (docs/finetune.md).",
    discussion: """
      FACES is a folder tree of aligned real faces (`agfas align` output, one size, e.g. \
      256x256). Each step draws faces, encodes them with the VAE (a fresh posterior sample) \
      and ArcFace (the identity tokens, as reconstruction builds them), noises the latents to \
      random timesteps and trains the UNet to predict the scheduler's target (mean squared \
      error), as diffusers' train_text_to_image_lora.py does.

      --mode lora (default) trains rank-r adapters on to_q/to_k/to_v/to_out.0 with the UNet \
      frozen and writes OUT/pytorch_lora_weights.safetensors, which `agfas reconstruct`, \
      `check` and `serve` take with --lora and diffusers' load_lora_weights reads. --mode full \
      trains every weight with an EMA copy and writes OUT/unet and OUT/unet_ema, diffusers \
      folders that --unet takes.

      The run starts from the DFG's UNet (the models folder's, or --unet: SD-1.5's unet folder \
      works too).

      OUT also receives checkpoint.safetensors (the whole run state: --resume continues it, \
      bit-identical to an uninterrupted run), log.jsonl (one line per step) and, with \
      --validate-every, validation/step-N/ with the held-out faces' reconstructions; their \
      PSNR to the input is in the log and on the progress line.
      """)

  @Option(help: "Folder tree of aligned real faces (PNG/JPEG, one size).")
  var faces: String
  @Option(help: "Output folder.")
  var out: String
  /// --unet is the UNet to start from: the DFG's unet_ema by default, SD-1.5's unet works too.
  @OptionGroup var parts: DFGModelOptions

  @Option(help: "lora or full.")
  var mode = "lora"
  // Numbers use .unconditional parsing: "--steps -5" is read and refused naming the option.
  @Option(parsing: .unconditional, help: "LoRA rank.")
  var rank = 4
  @Option(parsing: .unconditional, help: "LoRA alpha (default: the rank, a scale of 1).")
  var alpha: Float?
  @Option(parsing: .unconditional, help: "Optimizer steps.")
  var steps = 1000
  @Option(parsing: .unconditional, help: "Faces per micro-batch.")
  var batch = 1
  @Option(parsing: .unconditional, help: "Micro-batches per optimizer step (gradient accumulation).")
  var accumulation = 1
  @Option(parsing: .unconditional, help: "Peak learning rate (AdamW).")
  var learningRate: Float = 1e-4
  @Option(help: "constant, constant_with_warmup, cosine or linear (diffusers' get_scheduler).")
  var schedule = "constant"
  @Option(parsing: .unconditional, help: "Warm-up steps of the schedule.")
  var warmupSteps = 0
  @Option(parsing: .unconditional, help: "Gradient clipping: the largest norm of all gradients together.")
  var maxGradNorm: Float = 1
  @Option(parsing: .unconditional, help: "AdamW's decoupled weight decay.")
  var weightDecay: Float = 1e-2
  @Option(parsing: .unconditional, help: "EMA decay of --mode full (diffusers' EMAModel).")
  var ema: Double = 0.9999
  @Option(help: "auto, fp32 or bf16 (bf16 compute over fp32 masters); \(autoPrecisionHelp).")
  var precision = "auto"
  @Option(help: "Seed of the face order, the noise and the timesteps.")
  var seed: UInt64 = 0
  @Option(parsing: .unconditional, help: "Save the checkpoint and the outputs every this many steps.")
  var checkpointEvery = 100
  @Option(parsing: .unconditional, help: "Validate every this many steps (0: never).")
  var validateEvery = 0
  @Option(parsing: .unconditional, help: "Faces held out of training for validation.")
  var validationFaces = 2
  @Option(parsing: .unconditional, help: "Scheduler steps of a validation reconstruction (reference: 50).")
  var validationSteps = 50
  @Flag(
    inversion: .prefixedNo,
    help: "Recompute activations in the backward instead of keeping them (default: only where memory needs it).")
  var gradientCheckpointing: Bool?
  @Flag(help: "Continue the run in --out from its checkpoint.")
  var resume = false

  func validate() throws {
    try validatePrecision(precision)
    do { try options(computeType: .float32).validate() } catch { throw ValidationError("\(error)") }
  }

  func options(computeType: DType) throws -> FineTuneOptions {
    var o = FineTuneOptions()
    guard let m = FineTuneOptions.Mode(rawValue: mode) else {
      throw ValidationError("--mode must be lora or full, not '\(mode)'")
    }
    guard let kind = FineTuneSchedule.Kind(rawValue: schedule) else {
      throw ValidationError(
        "--schedule must be one of \(FineTuneSchedule.Kind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(schedule)'"
      )
    }
    o.mode = m
    o.rank = rank
    o.alpha = alpha
    o.steps = steps
    o.batch = batch
    o.accumulation = accumulation
    o.learningRate = learningRate
    o.schedule = kind
    o.warmupSteps = warmupSteps
    o.maxGradNorm = maxGradNorm
    o.weightDecay = weightDecay
    o.emaDecay = ema
    o.precision = precisionName(computeType)
    o.seed = seed
    o.checkpointEvery = checkpointEvery
    o.validateEvery = validateEvery
    o.validationFaces = validationFaces
    o.validationSteps = validationSteps
    o.gradientCheckpointing = gradientCheckpointing
    return o
  }

  func run() throws {
    // Before the models are loaded: they are part of the estimate.
    let available = FineTuneMemory.available()
    let paths = try parts.paths()
    var options = try options(computeType: try precisionType(precision))
    let set = try FaceSet(folder: faces, validationCount: options.validateEvery > 0 ? options.validationFaces : 0)
    stderr(
      "\(set.training.count) training faces, \(set.validation.count) held out, \(set.size)x\(set.size); "
        + "mode \(options.mode.rawValue), \(options.precision)")
    stderr("loading the DFG ...")
    let pipeline = try DFGPipeline.load(paths, precision: .float32)
    let memory: FineTuneMemory
    (options, memory) = try FineTuneMemory.deciding(
      options, pipeline: pipeline, faceSize: set.size, available: available)
    stderr(memory.summary + (options.gradientCheckpointing == true ? "; activation checkpointing on" : ""))
    try memory.check()
    let tuner = try FineTuner(
      pipeline: pipeline, unetFolder: paths.unet, faces: set, options: options, output: out, resume: resume)
    if tuner.step > 0 { stderr("resuming at step \(tuner.step) of \(options.steps)") }
    tuner.onProgress = { stderr($0) }
    try tuner.run()
    switch options.mode {
    case .lora: stderr("wrote \(tuner.loraPath)")
    case .full: stderr("wrote \(out)/unet and \(out)/unet_ema")
    }
  }
}
