import AGFASDFG
import AGFASModels
import Foundation

/// Where the commands look for models when no flag names them: the models folder that
/// `agfas models fetch` fills (docs/models.md).
func modelsFolder(_ explicit: String?) -> ModelsFolder { ModelsFolder(explicit) }

/// MTCNN's folder: `--weights`, else `AGFAS_MTCNN_WEIGHTS`, else the models folder's `mtcnn/`.
func mtcnnWeightsFolder(_ weights: String?, models: String?) -> String {
  weights ?? ProcessInfo.processInfo.environment["AGFAS_MTCNN_WEIGHTS"].flatMap { $0.isEmpty ? nil : $0 }
    ?? modelsFolder(models).location(ofItem: "mtcnn")!
}

/// The DFG's parts under `--models` (default: the models folder), each overridable; a missing
/// part is reported with the command that fetches it, and with the flags that set it where
/// the command has them (`partFlags`; `check` and `serve` have only `--models`).
func dfgModelPaths(
  models: String?, unet: String? = nil, vae: String? = nil, schedulerConfig: String? = nil, arcface: String? = nil,
  lora: String? = nil, partFlags: Bool = true
) throws -> DFGModelPaths {
  let folder = modelsFolder(models)
  let paths = DFGModelPaths(
    models: folder.path, unet: unet, vae: vae, schedulerConfig: schedulerConfig, arcface: arcface, lora: lora)
  do {
    try paths.validate(partFlags: partFlags)
  } catch let error as DFGModelPaths.PathError {
    throw ModelsError.missing("\(error)\n`agfas models fetch dfg` downloads them into \(folder.path)")
  }
  return paths
}
