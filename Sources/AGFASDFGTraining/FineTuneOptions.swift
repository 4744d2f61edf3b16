import AGFASEngine
import Foundation

/// Everything that decides a DFG fine-tuning run's numbers (docs/finetune.md). The defaults
/// are diffusers' `train_text_to_image_lora.py` defaults where it has one.
public struct FineTuneOptions: Codable, Equatable, Sendable {
  /// `lora`: low-rank adapters on the attention projections, base frozen. `full`: every UNet
  /// weight trains, with an EMA copy (what the authors' `unet_ema` is).
  public enum Mode: String, Codable, CaseIterable, Sendable {
    case lora
    case full
  }

  public var mode: Mode = .lora
  public var rank = 4
  /// LoRA alpha; nil: the rank (scale 1, as diffusers' script sets it).
  public var alpha: Float?
  /// peft `target_modules`.
  public var targets = ["to_k", "to_q", "to_v", "to_out.0"]
  /// Optimizer steps.
  public var steps = 1000
  /// Faces per micro-batch.
  public var batch = 1
  /// Micro-batches whose gradients are averaged into one optimizer step.
  public var accumulation = 1
  public var learningRate: Float = 1e-4
  public var schedule: FineTuneSchedule.Kind = .constant
  public var warmupSteps = 0
  /// clip_grad_norm_'s bound.
  public var maxGradNorm: Float = 1
  public var weightDecay: Float = 1e-2
  public var beta1: Float = 0.9
  public var beta2: Float = 0.999
  public var epsilon: Float = 1e-8
  /// EMA decay of the full fine-tune (diffusers' EMAModel); ignored for LoRA.
  public var emaDecay: Double = 0.9999
  /// "fp32" or "bf16" (bf16 compute over fp32 masters and optimizer state).
  public var precision = "fp32"
  /// Recompute each UNet resnet's and transformer's activations in the backward instead of
  /// keeping them (`ActivationCheckpointing`); nil: only where the memory estimate needs it.
  /// Changes rounding only, so a resumed run may differ here.
  public var gradientCheckpointing: Bool?
  public var seed: UInt64 = 0
  /// Steps between checkpoints (and outputs); the last step always writes one.
  public var checkpointEvery = 100
  /// Steps between validations (0: none); a validation also runs before the first step.
  public var validateEvery = 0
  /// Faces held out of training and reconstructed at each validation.
  public var validationFaces = 2
  /// The validation reconstruction's scheduler steps and start (the reference's 50 and 801).
  public var validationSteps = 50
  public var validationStrength = 801

  public init() {}

  /// The compute element type.
  public var computeType: DType { precision == "bf16" ? .bfloat16 : .float32 }

  /// The options a resumed run must share with the checkpoint: all but the validation and
  /// checkpoint intervals, and the step count where the schedule does not depend on it
  /// (constant rates: such a run may be extended).
  public var recipe: String {
    var r = self
    if [.constant, .constantWithWarmup].contains(schedule) { r.steps = 0 }
    r.gradientCheckpointing = nil
    r.checkpointEvery = 0
    r.validateEvery = 0
    r.validationFaces = 0
    r.validationSteps = 0
    r.validationStrength = 0
    if r.schedule == .constant { r.warmupSteps = 0 }
    let data = (try? JSONEncoder.sorted.encode(r)) ?? Data()
    return String(decoding: data, as: UTF8.self)
  }

  /// Refuses values no run could use, naming the option.
  public func validate() throws {
    func fail(_ text: String) -> FineTuneError { .options(text) }
    guard rank >= 1 else { throw fail("--rank must be at least 1, not \(rank)") }
    if let alpha, !(alpha.isFinite && alpha > 0) { throw fail("--alpha must be a finite value > 0, not \(alpha)") }
    guard !targets.isEmpty else { throw fail("at least one LoRA target module is needed") }
    guard steps >= 1 else { throw fail("--steps must be at least 1, not \(steps)") }
    guard batch >= 1 else { throw fail("--batch must be at least 1, not \(batch)") }
    guard accumulation >= 1 else { throw fail("--accumulation must be at least 1, not \(accumulation)") }
    guard learningRate.isFinite, learningRate > 0 else {
      throw fail("--learning-rate must be a finite value > 0, not \(learningRate)")
    }
    guard warmupSteps >= 0 else { throw fail("--warmup-steps must be at least 0, not \(warmupSteps)") }
    guard maxGradNorm.isFinite, maxGradNorm > 0 else {
      throw fail("--max-grad-norm must be a finite value > 0, not \(maxGradNorm)")
    }
    guard weightDecay.isFinite, weightDecay >= 0 else {
      throw fail("--weight-decay must be a finite value >= 0, not \(weightDecay)")
    }
    guard emaDecay.isFinite, (0...1).contains(emaDecay) else { throw fail("--ema must lie in [0, 1], not \(emaDecay)") }
    guard ["fp32", "bf16"].contains(precision) else { throw fail("precision must be fp32 or bf16, not \(precision)") }
    guard checkpointEvery >= 1 else { throw fail("--checkpoint-every must be at least 1, not \(checkpointEvery)") }
    guard validateEvery >= 0 else { throw fail("--validate-every must be at least 0, not \(validateEvery)") }
    guard validationFaces >= 0 else { throw fail("--validation-faces must be at least 0, not \(validationFaces)") }
    guard validationSteps >= 1, validationStrength >= 0 else {
      throw fail("the validation needs at least 1 scheduler step and a strength >= 0")
    }
  }
}

extension JSONEncoder {
  /// Keys sorted, so equal values encode to equal text.
  static var sorted: JSONEncoder {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return e
  }
}

/// Why a fine-tuning run cannot start or go on.
public enum FineTuneError: Error, CustomStringConvertible, Equatable {
  case options(String)
  case data(String)
  case checkpoint(String)
  case memory(String)

  public var description: String {
    switch self {
    case .options(let s), .data(let s), .checkpoint(let s), .memory(let s): s
    }
  }
}
