import Foundation

/// Where the DFG's released files are: the reference's `model/` layout under one folder, with
/// any part overridable.
///
///     <models>/sd-models-for-AG-FAS/checkpoint-150000/unet_ema/   (config.json + weights)
///     <models>/stable-diffusion-v1-5/vae/                         (config.json + weights)
///     <models>/stable-diffusion-v1-5/scheduler/scheduler_config.json
///     <models>/backbone.pth                                       (ArcFace iresnet18)
public struct DFGModelPaths: Sendable, Equatable {
  public var unet: String
  public var vae: String
  public var schedulerConfig: String
  public var arcface: String
  /// A LoRA file (diffusers' `pytorch_lora_weights.safetensors`) merged into the UNet on load.
  public var lora: String?

  public enum PathError: Error, CustomStringConvertible, Equatable {
    case missing([String])

    public var description: String {
      switch self {
      case .missing(let lines): "DFG model files not found:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
      }
    }
  }

  /// The reference layout under `models` (nil: every part must be given explicitly).
  public init(
    models: String?, unet: String? = nil, vae: String? = nil, schedulerConfig: String? = nil, arcface: String? = nil,
    lora: String? = nil
  ) {
    func under(_ relative: String) -> String {
      models.map { URL(fileURLWithPath: $0).appendingPathComponent(relative).path } ?? ""
    }
    self.unet = unet ?? under("sd-models-for-AG-FAS/checkpoint-150000/unet_ema")
    self.vae = vae ?? under("stable-diffusion-v1-5/vae")
    self.schedulerConfig = schedulerConfig ?? under("stable-diffusion-v1-5/scheduler/scheduler_config.json")
    self.arcface = arcface ?? under("backbone.pth")
    self.lora = lora
  }

  /// Checks that every part exists; the error lists each missing one and the flag that sets
  /// it (`partFlags` false: the command has only `--models`, so only that is named).
  public func validate(partFlags: Bool = true) throws {
    let fm = FileManager.default
    var missing: [String] = []
    for (path, flag, what) in [
      (unet, "--unet", "DFG UNet folder (config.json + diffusion_pytorch_model.bin/.safetensors)"),
      (vae, "--vae", "SD-1.5 VAE folder"),
      (schedulerConfig, "--scheduler-config", "SD-1.5 scheduler_config.json"),
      (arcface, "--arcface", "ArcFace backbone.pth"),
    ] where path.isEmpty || !fm.fileExists(atPath: path) {
      let how = partFlags ? "set with \(flag) or --models" : "looked for under --models"
      missing.append("\(what): \(path.isEmpty ? "(not given)" : path) (\(how))")
    }
    if let lora, !fm.fileExists(atPath: lora) { missing.append("LoRA file: \(lora) (given with --lora)") }
    if !missing.isEmpty { throw PathError.missing(missing) }
  }
}
