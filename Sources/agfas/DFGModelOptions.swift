import AGFASDFG
import ArgumentParser

/// Where the DFG's parts are, for the commands that take each part apart (`reconstruct`,
/// `finetune-dfg`); `check` and `serve` read them from `--models` alone.
struct DFGModelOptions: ParsableArguments {
  @Option(
    help: """
      Folder with the reference layout (sd-models-for-AG-FAS/, stable-diffusion-v1-5/, backbone.pth); \
      default: the models folder that `agfas models fetch dfg` fills ($AGFAS_HOME/models).
      """)
  var models: String?
  @Option(help: "DFG UNet folder (default: <models>/sd-models-for-AG-FAS/checkpoint-150000/unet_ema).")
  var unet: String?
  @Option(help: "SD-1.5 VAE folder (default: <models>/stable-diffusion-v1-5/vae).")
  var vae: String?
  @Option(help: "scheduler_config.json (default: <models>/stable-diffusion-v1-5/scheduler/scheduler_config.json).")
  var schedulerConfig: String?
  @Option(help: "ArcFace iresnet backbone.pth (default: <models>/backbone.pth).")
  var arcface: String?

  /// The parts, checked to exist (a missing one is named with its flag).
  func paths(lora: String? = nil) throws -> DFGModelPaths {
    try dfgModelPaths(
      models: models, unet: unet, vae: vae, schedulerConfig: schedulerConfig, arcface: arcface, lora: lora)
  }
}
