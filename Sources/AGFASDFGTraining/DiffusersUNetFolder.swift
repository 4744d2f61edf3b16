import AGFASCheckpoint
import AGFASEngine
import AGFASJSON
import AGFASNN
import Foundation

/// A UNet as a diffusers model folder (`config.json` + `diffusion_pytorch_model.safetensors`),
/// the layout `UNet2DConditionModel.from_pretrained` loads and `agfas reconstruct --unet` takes.
public enum DiffusersUNetFolder {
  /// The config.json of the folder a run started from, as a JSON object (kept as written,
  /// so keys this version does not model survive).
  public static func config(of folder: String) throws -> [String: Any] {
    let path = (folder as NSString).appendingPathComponent("config.json")
    let data = try SmallFile.contents(of: path)
    if let problem = StrictJSON.scan(data).malformed ?? StrictJSON.scan(data).duplicate.map({ "\($0)" }) {
      throw FineTuneError.data("\(path): \(problem)")
    }
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw FineTuneError.data("\(path) is not a JSON object")
    }
    return object
  }

  /// Writes `weights` (fp32) and `config` into `folder`, each file atomically. `ema` adds
  /// the keys diffusers' `EMAModel.save_pretrained` writes beside the model's.
  public static func write(
    _ weights: [String: Tensor], config: [String: Any], to folder: String, ema: ExponentialMovingAverage? = nil
  ) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var config = config
    config["_class_name"] = "UNet2DConditionModel"
    if let ema {
      config["decay"] = ema.maxDecay
      config["min_decay"] = ema.minDecay
      config["inv_gamma"] = ema.invGamma
      config["power"] = ema.power
      config["use_ema_warmup"] = ema.useWarmup
      config["update_after_step"] = 0
      config["optimization_step"] = ema.optimizationStep
    }
    try SafeTensorsWriter.write(
      weights.mapValues { $0.detached().converted(to: .float32) }, metadata: ["format": "pt"],
      to: (folder as NSString).appendingPathComponent("diffusion_pytorch_model.safetensors"))
    let json = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .prettyPrinted])
    try SafeTensorsWriter.writeAtomically(json, to: (folder as NSString).appendingPathComponent("config.json"))
  }
}
