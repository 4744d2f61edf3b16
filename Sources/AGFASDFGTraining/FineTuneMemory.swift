import AGFASDFG
import AGFASEngine
import Foundation

/// What a fine-tuning run will hold in memory, estimated before it starts, and the check that
/// refuses a run that cannot fit, with the numbers, instead of being killed hours into it.
///
/// Per UNet weight: in a LoRA fine-tune the frozen value and oneDNN's reordered copy of it
/// (kept between calls); in a full one the fp32 value (its reordered copies are made per call
/// and freed), its gradient, AdamW's two moments and the EMA (+ a bf16 copy in bf16).
/// Activations kept for the backward grow with the batch and the latent area; the constant
/// is measured (docs/finetune.md: `agfas bench finetune` prints the peak).
public struct FineTuneMemory: Sendable {
  public let weightBytes: Int
  public let stateBytes: Int
  public let activationBytes: Int
  public let frozenBytes: Int
  public let availableBytes: Int?

  /// What an SD-1.5 LoRA step at batch 1 with 32x32 latents (256-pixel faces) holds beyond
  /// the weights, in fp32, without and with activation checkpointing: the peak resident
  /// memory of `agfas bench finetune` (9.74 and 9.39 GiB fp32, 5.03 and 4.66 GiB bf16 on a
  /// 2-core Xeon) less the weights' two copies, rounded up. Charged per face, which
  /// overestimates larger batches (part of it is fixed): a run is refused early, never killed.
  static let activationBytesPerFace = (plain: 7 << 29, checkpointed: 6 << 29)

  /// `available`: the memory to check against (default: what this machine has free).
  public init(
    pipeline: DFGPipeline, options: FineTuneOptions, faceSize: Int, available: Int? = FineTuneMemory.available()
  )
    throws
  {
    let unetCount = pipeline.unetParameters?.all.reduce(0) { $0 + Shape.count($1.shape) } ?? 0
    let frozenCount =
      (pipeline.vaeParameters?.all.reduce(0) { $0 + Shape.count($1.shape) } ?? 0)
      + pipeline.identity.store.all.reduce(0) { $0 + Shape.count($1.shape) }
    let bf16 = options.computeType == .bfloat16
    switch options.mode {
    case .lora:
      // Frozen base in the compute type plus its reordered copy; adapters are tiny.
      weightBytes = unetCount * (bf16 ? 2 : 4) * 2
      stateBytes = 0
    case .full:
      // Trained weights get no cached reordered copy (`Tensor.kernelCopy`).
      weightBytes = unetCount * 4 + (bf16 ? unetCount * 2 : 0)
      // Gradient, exp_avg, exp_avg_sq, EMA.
      stateBytes = unetCount * 4 * 4
    }
    // Scaled from the SD-1.5 measurement by the UNet's size and the latent area (attention's
    // score matrices grow faster than the area; the estimate is for faces up to 256 pixels).
    let perFace =
      options.gradientCheckpointing == true
      ? Self.activationBytesPerFace.checkpointed : Self.activationBytesPerFace.plain
    let scale = Double(unetCount) / 859_520_964 * Double(faceSize * faceSize) / (256 * 256)
    activationBytes = Int(Double(perFace) * scale * Double(options.batch) / (bf16 ? 2 : 1))
    frozenBytes = frozenCount * 4 * 2
    availableBytes = available
  }

  public var totalBytes: Int { weightBytes + stateBytes + activationBytes + frozenBytes }

  /// The options with `gradientCheckpointing` decided where it was left to the estimate: on
  /// only when the run would not fit without it and does with it. Returns them and their estimate.
  public static func deciding(
    _ options: FineTuneOptions, pipeline: DFGPipeline, faceSize: Int, available: Int? = FineTuneMemory.available()
  ) throws -> (FineTuneOptions, FineTuneMemory) {
    var o = options
    guard o.gradientCheckpointing == nil else {
      return (o, try FineTuneMemory(pipeline: pipeline, options: o, faceSize: faceSize, available: available))
    }
    o.gradientCheckpointing = false
    let plain = try FineTuneMemory(pipeline: pipeline, options: o, faceSize: faceSize, available: available)
    guard let available, plain.totalBytes > available else { return (o, plain) }
    o.gradientCheckpointing = true
    let checkpointed = try FineTuneMemory(pipeline: pipeline, options: o, faceSize: faceSize, available: available)
    return checkpointed.totalBytes <= available ? (o, checkpointed) : (options.withCheckpointing(false), plain)
  }

  /// One line for the progress output.
  public var summary: String {
    var line =
      "memory: about \(Self.gib(totalBytes)) (UNet weights \(Self.gib(weightBytes)), optimizer state "
      + "\(Self.gib(stateBytes)), activations \(Self.gib(activationBytes)), VAE and ArcFace \(Self.gib(frozenBytes)))"
    if let a = availableBytes { line += "; \(Self.gib(a)) available" }
    return line
  }

  /// Refuses a run whose estimate exceeds the memory available (cgroup limit or MemAvailable).
  public func check() throws {
    guard let available = availableBytes, totalBytes > available else { return }
    throw FineTuneError.memory(
      "this run needs about \(Self.gib(totalBytes)) but \(Self.gib(available)) is available "
        + "(UNet weights \(Self.gib(weightBytes)), optimizer state \(Self.gib(stateBytes)), activations "
        + "\(Self.gib(activationBytes)), VAE and ArcFace \(Self.gib(frozenBytes))); use --mode lora, a smaller "
        + "--batch with --accumulation, --gradient-checkpointing, or a machine with more memory")
  }

  /// The smaller of the cgroup's memory limit and the kernel's MemAvailable, in bytes.
  public static func available() -> Int? {
    var values: [Int] = []
    let free = ProcessMemory.kilobyteField("MemAvailable:", file: "/proc/meminfo")
    if free > 0 { values.append(free) }
    if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
      let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    {
      values.append(limit)
    }
    return values.min()
  }

  static func gib(_ bytes: Int) -> String { String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
}

extension FineTuneOptions {
  /// These options with activation checkpointing on or off.
  public func withCheckpointing(_ on: Bool) -> FineTuneOptions {
    var o = self
    o.gradientCheckpointing = on
    return o
  }
}
