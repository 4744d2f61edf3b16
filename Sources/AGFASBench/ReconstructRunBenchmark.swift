import AGFASCheckpoint
import AGFASDFG
import AGFASDiffusion
import AGFASEngine
import AGFASImage
import AGFASNN
import Foundation

/// `agfas reconstruct` run as a child process on a model folder, per precision and batch
/// size: start-up, faces per hour and peak memory as a user gets them (`--stats`).
public enum ReconstructRunBenchmark {
  /// Writes random-weight models in the reference layout (DFGModelPaths) under `folder`:
  /// diffusers folders with safetensors for the UNet and VAE, the SD-1.5 scheduler config, and
  /// the ArcFace backbone (safetensors under the name `backbone.pth`, which the loader
  /// recognises by content). Weights are written in fp32, as released.
  public static func writeModels(
    unet: ParameterStore, _ unetConfig: UNetConfig = .stableDiffusion15, vae: ParameterStore,
    _ vaeConfig: AutoencoderKLConfig = .stableDiffusion15, identity: ArcFaceIdentity, to folder: String
  ) throws {
    let paths = DFGModelPaths(models: folder)
    func weights(_ store: ParameterStore) -> [String: Tensor] {
      Dictionary(uniqueKeysWithValues: store.all.map { ($0.path, $0.value.detached().converted(to: .float32)) })
    }
    func write<C: Encodable>(_ config: C, _ tensors: [String: Tensor], into dir: String, file: String) throws {
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      try JSONEncoder().encode(config).write(to: URL(fileURLWithPath: dir).appendingPathComponent("config.json"))
      try SafeTensorsWriter.write(
        tensors, metadata: ["format": "pt"], to: (dir as NSString).appendingPathComponent(file))
    }
    try write(unetConfig, weights(unet), into: paths.unet, file: "diffusion_pytorch_model.safetensors")
    try write(vaeConfig, weights(vae), into: paths.vae, file: "diffusion_pytorch_model.safetensors")
    let scheduler = (paths.schedulerConfig as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: scheduler, withIntermediateDirectories: true)
    try JSONEncoder().encode(SchedulerConfig.stableDiffusion15).write(to: URL(fileURLWithPath: paths.schedulerConfig))
    try SafeTensorsWriter.write(weights(identity.store), to: paths.arcface)
  }

  /// Writes `count` 256x256 PNG faces (smooth random colour fields, so the PNG codec does
  /// real work) into `folder`.
  public static func writeFaces(count: Int, to folder: String) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var random = SeededRandom(seed: 7)
    for i in 0..<count {
      let base = (0..<3).map { _ in Double(random.next() % 200) + 28 }
      var pixels = [UInt8](repeating: 0, count: 256 * 256 * 3)
      for y in 0..<256 {
        for x in 0..<256 {
          for c in 0..<3 {
            let wave = 25 * sin(Double(x + 3 * c) / 19 + Double(i)) * cos(Double(y) / 23)
            pixels[(y * 256 + x) * 3 + c] = UInt8(max(0, min(255, base[c] + wave)))
          }
        }
      }
      try Image(width: 256, height: 256, channels: 3, pixels: pixels)
        .writePNG(to: (folder as NSString).appendingPathComponent(String(format: "face%02d.png", i)))
    }
  }

  /// Runs `agfas reconstruct` (this executable) on the first `batches * batch` faces of
  /// `faces` with `--batch batch`, and returns the stats it wrote. `work` holds its output
  /// and stats. Two batches or more give the rate after the first batch's one-time costs.
  public static func run(
    models: String, faces: String, precision: String, batch: Int, batches: Int = 2, work: String,
    log: (String) -> Void
  ) throws -> ReconstructionStats {
    let input = (work as NSString).appendingPathComponent("in-\(precision)-b\(batch)")
    let output = (work as NSString).appendingPathComponent("out-\(precision)-b\(batch)")
    let stats = (work as NSString).appendingPathComponent("stats-\(precision)-b\(batch).json")
    let fm = FileManager.default
    for path in [input, output, stats] where fm.fileExists(atPath: path) { try fm.removeItem(atPath: path) }
    try fm.createDirectory(atPath: input, withIntermediateDirectories: true)
    let names = try fm.contentsOfDirectory(atPath: faces).filter { $0.hasSuffix(".png") }.sorted()
    guard names.count >= batch * batches else {
      throw BenchError("\(faces) has \(names.count) faces, \(batches) batches of \(batch) need more")
    }
    for name in names.prefix(batch * batches) {
      try fm.copyItem(
        atPath: (faces as NSString).appendingPathComponent(name),
        toPath: (input as NSString).appendingPathComponent(name))
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = [
      "reconstruct", "--models", models, "--input", input, "--output", output, "--precision", precision, "--batch",
      "\(batch)", "--stats", stats,
    ]
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0, let data = fm.contents(atPath: stats) else {
      throw BenchError("agfas reconstruct failed (exit \(process.terminationStatus)):\n\(text)")
    }
    if let last = text.split(separator: "\n").last { log("  \(precision) batch \(batch): \(last)") }
    return try JSONDecoder().decode(ReconstructionStats.self, from: data)
  }
}
