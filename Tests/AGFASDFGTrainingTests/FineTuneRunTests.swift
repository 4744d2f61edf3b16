import AGFASCheckpoint
import AGFASDFG
import AGFASDFGTraining
import AGFASEngine
import AGFASImage
import AGFASNN
import AGFASTestSupport
import Foundation
import XCTest

/// `agfas finetune-dfg` and `FineTuner` end to end on tiny models: the DFG test models' UNet,
/// ArcFace and scheduler, with a tiny VAE trained to reconstruct the 16 generated faces
/// (scripts/make_finetune_fixtures.py), so pixel PSNR measures what the UNet learned.
final class FineTuneRunTests: XCTestCase {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  static let dfgModels = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("AGFASDFGTests/Fixtures/models").path
  var faces: String { Self.fixtures.appendingPathComponent("faces").path }
  var vae: String { Self.fixtures.appendingPathComponent("vae").path }
  var paths: DFGModelPaths { DFGModelPaths(models: Self.dfgModels, vae: vae) }
  var out: String!

  override func setUpWithError() throws {
    out = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-finetune-\(UUID().uuidString)").path
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: out) }

  func finetune(_ extra: [String], out: String? = nil) throws -> AgfasCLI.Result {
    try AgfasCLI.run(
      [
        "finetune-dfg", "--faces", faces, "--out", out ?? self.out, "--models", Self.dfgModels, "--vae", vae,
        "--precision", "fp32",
      ]
        + extra)
  }

  func log(_ folder: String) throws -> [[String: Any]] { try TrainingLog.read(folder + "/log.jsonl") }

  func mean(_ records: [[String: Any]], _ key: String) -> Double {
    let values = records.compactMap { $0[key] as? Double }
    return values.reduce(0, +) / Double(max(values.count, 1))
  }

  /// A full fine-tune lowers the loss and raises the held-out faces' PSNR at every validation,
  /// and writes diffusers folders that `reconstruct --unet` takes.
  func testFullRunLowersTheLossAndRaisesTheHeldOutPSNR() throws {
    let r = try finetune([
      "--mode", "full", "--steps", "150", "--learning-rate", "3e-3", "--ema", "0.9", "--validate-every", "50",
      "--checkpoint-every", "150",
    ])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stderr.contains("14 training faces, 2 held out, 32x32"), r.stderr)
    XCTAssertTrue(r.stderr.contains("ETA"), r.stderr)
    let records = try log(out)
    let steps = records.filter { $0["loss"] != nil }
    XCTAssertEqual(steps.count, 150)
    let (early, late) = (mean(Array(steps.prefix(30)), "loss"), mean(Array(steps.suffix(30)), "loss"))
    XCTAssertLessThan(late, 0.5 * early, "loss \(early) -> \(late)")
    let psnr = records.compactMap { $0["validation_psnr"] as? Double }
    XCTAssertEqual(psnr.count, 4, "steps 0, 50, 100, 150")
    for (a, b) in zip(psnr, psnr.dropFirst()) { XCTAssertGreaterThan(b, a, "held-out PSNR \(psnr)") }
    XCTAssertGreaterThan(psnr.last! - psnr.first!, 1, "held-out PSNR \(psnr)")
    for step in [0, 50, 100, 150] {
      let folder = out + "/validation/step-" + String(format: "%06d", step)
      XCTAssertEqual(
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["face00.png", "face08.png"])
    }

    // Both folders load as UNets; the EMA's config carries EMAModel's keys.
    let config = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: out + "/unet_ema/config.json")))
    let keys = Set((config as? [String: Any] ?? [:]).keys)
    for key in ["decay", "inv_gamma", "min_decay", "optimization_step", "power", "update_after_step", "use_ema_warmup"]
    {
      XCTAssertTrue(keys.contains(key), key)
    }
    XCTAssertEqual((config as? [String: Any])?["optimization_step"] as? Int, 150)
    let recon = out + "/recon"
    let rc = try AgfasCLI.run([
      "reconstruct", "--models", Self.dfgModels, "--vae", vae, "--unet", out + "/unet_ema", "--input",
      faces + "/face00.png", "--output", recon, "--precision", "fp32", "--steps", "50",
    ])
    XCTAssertEqual(rc.status, 0, rc.stderr)
    // The validation reconstructed face00 with the same weights, seed and steps.
    XCTAssertEqual(
      try Image(contentsOfFile: recon + "/face00.png"),
      try Image(contentsOfFile: out + "/validation/step-000150/face00.png"))
  }

  /// A LoRA run lowers the loss; its file, applied by `reconstruct --lora` (merged), gives
  /// what the trained adapters give unmerged.
  func testLoRARunWritesAFileThatReconstructApplies() throws {
    let r = try finetune(["--rank", "8", "--steps", "150", "--learning-rate", "3e-2", "--checkpoint-every", "75"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(try log(out).filter { $0["loss"] != nil }.count, 150)
    let loraFile = out + "/pytorch_lora_weights.safetensors"
    let file = try SafeTensorsFile(path: loraFile)
    XCTAssertEqual(file.names.count, 2 * 4 * 8, "4 projections of the 8 attentions in the tiny UNet, down and up")
    // The loss of one fixed batch (every training face at 8 timesteps, fixed noise): a
    // step's loss is too noisy to compare, this one is not.
    var withLoRA = paths
    withLoRA.lora = loraFile
    let before = try fixedBatchLoss(DFGPipeline.load(paths))
    let after = try fixedBatchLoss(DFGPipeline.load(withLoRA))
    XCTAssertLessThan(after, 0.97 * before, "fixed-batch loss \(before) -> \(after)")
    XCTAssertTrue(file.names.allSatisfy { $0.hasPrefix("unet.") && $0.contains(".lora.") }, "\(file.names)")

    let recon = out + "/recon"
    let rc = try AgfasCLI.run([
      "reconstruct", "--models", Self.dfgModels, "--vae", vae, "--lora", loraFile, "--input", faces + "/face03.png",
      "--output", recon, "--precision", "fp32",
    ])
    XCTAssertEqual(rc.status, 0, rc.stderr)
    let merged = try Image(contentsOfFile: recon + "/face03.png")
    let base = try DFGPipeline.load(paths)
    let adapters = ParameterStore()
    try LoRAWeights.load(loraFile).attach(to: try XCTUnwrap(base.unetParameters), adapters: adapters, file: loraFile)
    let x = try Image.tensor(batch: [Image(contentsOfFile: faces + "/face03.png").rgb()])
    let unmerged = try Image.images(fromBatch: base.reconstruct(x, seeds: [0]))[0]
    let plain = try Image.images(
      fromBatch: DFGPipeline.load(DFGModelPaths(models: Self.dfgModels, vae: vae)).reconstruct(x, seeds: [0]))[0]
    let differences = zip(merged.pixels, unmerged.pixels).map { abs(Int($0) - Int($1)) }
    XCTAssertLessThanOrEqual(differences.max() ?? 0, 1, "merged and unmerged adapters round apart at most")
    XCTAssertNotEqual(merged, plain, "the LoRA changes the reconstruction")

    // A missing LoRA file, or one for another model, is one line naming it.
    let missing = try AgfasCLI.run([
      "reconstruct", "--models", Self.dfgModels, "--lora", out + "/nope.safetensors", "--input", faces, "--output",
      recon,
    ])
    XCTAssertEqual(missing.status, 1)
    XCTAssertTrue(missing.stderr.contains("LoRA file: \(out!)/nope.safetensors (given with --lora)"), missing.stderr)
    let foreign = out + "/foreign.safetensors"
    try SafeTensorsWriter.write(
      [
        "unet.down_blocks.9.attentions.0.transformer_blocks.0.attn1.to_q.lora.down.weight": Tensor.zeros([4, 16]),
        "unet.down_blocks.9.attentions.0.transformer_blocks.0.attn1.to_q.lora.up.weight": Tensor.zeros([16, 4]),
      ], to: foreign)
    let wrong = try AgfasCLI.run([
      "reconstruct", "--models", Self.dfgModels, "--lora", foreign, "--input", faces, "--output", recon,
    ])
    XCTAssertEqual(wrong.status, 1)
    XCTAssertTrue(wrong.stderr.contains("which this UNet does not have (a LoRA for another model?)"), wrong.stderr)
    XCTAssertFalse(wrong.stderr.contains("Fatal error"), wrong.stderr)
  }

  /// The denoising loss of the training faces, each at the timesteps 50, 175, ..., 925
  /// with noise from a fixed seed, under `pipeline`'s UNet.
  func fixedBatchLoss(_ pipeline: DFGPipeline) throws -> Double {
    let set = try FaceSet(folder: faces, validationCount: 0)
    let encoded = try EncodedFaces(set.training, set: set, pipeline: pipeline)
    let objective = try DenoisingObjective(pipeline.schedulerConfig)
    let generator = TorchGenerator(seed: 99)
    var total: Double = 0
    for t in stride(from: 50, to: 1000, by: 125) {
      let indices = Array(0..<encoded.count)
      let shape = [indices.count] + encoded.latentShape.dropFirst()
      let (z0, context) = try encoded.batch(indices, posteriorNoise: generator.randn(shape))
      let loss = try withoutGrad {
        try objective.loss(
          pipeline.unet, z0: z0, noise: generator.randn(shape), timesteps: Array(repeating: t, count: indices.count),
          context: context)
      }
      total += Double(try loss.toArray()[0])
    }
    return total / 8
  }

  /// Stopped after 13 of 30 steps and resumed, a run ends bit-identical to one never stopped,
  /// with the same log (timings aside); LoRA and full with EMA and accumulation.
  func testResumeIsBitIdentical() throws {
    for mode in [FineTuneOptions.Mode.lora, .full] {
      var options = FineTuneOptions()
      options.mode = mode
      options.steps = 30
      options.batch = 2
      options.accumulation = 2
      options.learningRate = 1e-3
      options.schedule = .cosine
      options.warmupSteps = 5
      options.emaDecay = 0.99
      options.checkpointEvery = 10
      options.seed = 5
      let set = try FaceSet(folder: faces, validationCount: 0)
      func tuner(_ folder: String, resume: Bool = false) throws -> FineTuner {
        try FineTuner(
          pipeline: DFGPipeline.load(paths), unetFolder: paths.unet, faces: set, options: options, output: folder,
          resume: resume)
      }
      let whole = out + "/\(mode)-whole"
      let parts = out + "/\(mode)-parts"
      XCTAssertEqual(try tuner(whole).run(), 30)
      XCTAssertEqual(try tuner(parts).run(stoppingAfter: 13), 13)
      XCTAssertThrowsError(try tuner(parts), "an existing checkpoint needs --resume") { error in
        XCTAssertTrue("\(error)".contains("--resume"), "\(error)")
      }
      let resumed = try tuner(parts, resume: true)
      XCTAssertEqual(resumed.step, 13)
      XCTAssertEqual(try resumed.run(), 30)
      let outputs =
        mode == .lora
        ? ["pytorch_lora_weights.safetensors"]
        : ["unet/diffusion_pytorch_model.safetensors", "unet_ema/diffusion_pytorch_model.safetensors"]
      for name in outputs + ["checkpoint.safetensors"] {
        XCTAssertEqual(
          try Data(contentsOf: URL(fileURLWithPath: "\(whole)/\(name)")),
          try Data(contentsOf: URL(fileURLWithPath: "\(parts)/\(name)")), "\(mode) \(name)")
      }
      func withoutTimes(_ r: [[String: Any]]) -> [NSDictionary] {
        r.map {
          var d = $0
          d["seconds"] = nil
          return d as NSDictionary
        }
      }
      XCTAssertEqual(withoutTimes(try log(whole)), withoutTimes(try log(parts)), "\(mode) log")

      var other = options
      other.seed = 6
      XCTAssertThrowsError(
        try FineTuner(
          pipeline: DFGPipeline.load(paths), unetFolder: paths.unet, faces: set, options: other, output: parts,
          resume: true)
      ) { error in XCTAssertTrue("\(error)".contains("seed 5"), "\(error)") }
    }
  }

  func testBadInputIsRefusedWithOneClearLine() throws {
    func refused(
      _ extra: [String], faces: String? = nil, _ expected: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
      var args = [
        "finetune-dfg", "--faces", faces ?? self.faces, "--out", out!, "--models", Self.dfgModels, "--vae", vae,
      ]
      args += extra
      let r = try AgfasCLI.run(args)
      XCTAssertNotEqual(r.status, 0, file: file, line: line)
      XCTAssertTrue(r.stderr.contains(expected), r.stderr, file: file, line: line)
      XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr, file: file, line: line)
    }
    try refused(["--mode", "dreambooth"], "--mode must be lora or full, not 'dreambooth'")
    try refused(["--steps", "0"], "--steps must be at least 1, not 0")
    try refused(["--learning-rate", "nan"], "--learning-rate must be a finite value > 0")
    try refused(["--schedule", "step"], "--schedule must be one of constant, constant_with_warmup, cosine, linear")
    try refused(["--rank", "-1"], "--rank must be at least 1, not -1")
    try refused(["--precision", "fp16"], "--precision must be auto, fp32 or bf16")
    let empty = out + "-empty"
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: empty) }
    try refused([], faces: empty, "no .png/.jpg/.jpeg images under")
    // One face of another size among the others.
    let mixed = out + "-mixed"
    try FileManager.default.createDirectory(atPath: mixed, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: mixed) }
    for k in 0..<3 {
      try FileManager.default.copyItem(atPath: faces + "/face0\(k).png", toPath: mixed + "/face0\(k).png")
    }
    try Image(width: 64, height: 64, channels: 3, value: 90).writePNG(to: mixed + "/face09.png")
    try refused(["--steps", "2"], faces: mixed, "face09.png is 64x64 but the other faces are 32x32")
    try refused(["--validate-every", "1", "--validation-faces", "16"], "16 are held out for validation")
  }

  /// A full fine-tune that cannot fit is refused before it starts, with the numbers.
  func testMemoryEstimateRefusesARunThatCannotFit() throws {
    var options = FineTuneOptions()
    options.mode = .full
    let pipeline = try DFGPipeline.load(paths)
    let fits = try FineTuneMemory(pipeline: pipeline, options: options, faceSize: 32, available: 1 << 30)
    XCTAssertNoThrow(try fits.check())
    let tight = try FineTuneMemory(pipeline: pipeline, options: options, faceSize: 32, available: 1000)
    XCTAssertThrowsError(try tight.check()) { error in
      XCTAssertTrue("\(error)".contains("but 0.0 GiB is available"), "\(error)")
      XCTAssertTrue("\(error)".contains("use --mode lora"), "\(error)")
    }
    XCTAssertGreaterThan(fits.stateBytes, 4 * 4 * 100_000 - 1, "gradient, two moments and the EMA, fp32")

    // Left to the estimate, checkpointing is chosen only where the run needs it to fit.
    let plain = try FineTuneMemory(
      pipeline: pipeline, options: options.withCheckpointing(false), faceSize: 32, available: nil)
    let saved = try FineTuneMemory(
      pipeline: pipeline, options: options.withCheckpointing(true), faceSize: 32, available: nil)
    XCTAssertLessThan(saved.activationBytes, plain.activationBytes)
    let between = (plain.totalBytes + saved.totalBytes) / 2
    XCTAssertEqual(
      try FineTuneMemory.deciding(options, pipeline: pipeline, faceSize: 32, available: between).0
        .gradientCheckpointing,
      true)
    XCTAssertEqual(
      try FineTuneMemory.deciding(options, pipeline: pipeline, faceSize: 32, available: 1 << 40).0
        .gradientCheckpointing,
      false)
  }
}
