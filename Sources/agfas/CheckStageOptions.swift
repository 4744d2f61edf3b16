import AGFASCheck
import AGFASFaces
import AGFASImage
import ArgumentParser

/// The options of a check's stages (decoding limits, detection, alignment, the DFG) that
/// `check` and `serve` share, so both run a photo the same way.
struct CheckStageOptions: ParsableArguments {
  @Option(help: "Seed of the DFG's noise (torch.manual_seed semantics, per face).")
  var seed: UInt64 = 0
  // Numbers use .unconditional parsing: "--steps -5" is read and refused by validate(),
  // not taken for a missing value.
  @Option(parsing: .unconditional, help: "Noise level to start from (reference: 801).")
  var strength = 801
  @Option(parsing: .unconditional, help: "Scheduler inference steps (reference: 50).")
  var steps = 50
  @Option(parsing: .unconditional, help: "Aligned crop size (reference: 256).")
  var size = 256
  @Option(parsing: .unconditional, help: "Smallest face to look for, in pixels.")
  var minFace: Double = 20
  @Option(parsing: .unconditional, help: "Refuse photos with more pixels than this (decompression-bomb guard).")
  var maxPixels = ImageLimits.defaultMaxPixels
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Refuse photos over 4096x4096 pixels with more pixels than this per byte of their file (0: no such limit).",
      discussion: "Photos hold 0.5 to 5 pixels per byte; decompression bombs hundreds."))
  var maxPixelsPerByte = ImageLimits.defaultMaxPixelsPerByte
  @Option(help: "A LoRA file from `agfas finetune-dfg` (pytorch_lora_weights.safetensors), merged into the DFG's UNet.")
  var lora: String?

  func validate() throws {
    guard (8...4096).contains(size), size % 8 == 0 else {
      throw ValidationError("--size must be a multiple of 8 within 8...4096 (the VAE works in 8-pixel cells)")
    }
    guard steps >= 1, strength >= 0 else { throw ValidationError("--steps must be at least 1 and --strength >= 0") }
    guard maxPixels >= 1 else { throw ValidationError("--max-pixels must be at least 1, not \(maxPixels)") }
    guard maxPixelsPerByte >= 0 else {
      throw ValidationError("--max-pixels-per-byte must be 0 (no limit) or more, not \(maxPixelsPerByte)")
    }
    do {
      try DetectionOptions(minFaceSize: minFace).validate()
    } catch {
      throw ValidationError("\(error)")
    }
  }

  var check: LivenessCheck.Options {
    .init(size: size, seed: seed, reconstruction: .init(strength: strength, steps: steps))
  }
  var limits: ImageLimits { ImageLimits(maxPixels: maxPixels, maxPixelsPerByte: maxPixelsPerByte) }
  var detection: DetectionOptions { DetectionOptions(minFaceSize: minFace) }
}
