import AGFASDFG
import AGFASEngine
import AGFASImage
import ArgumentParser
import Foundation

struct Reconstruct: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Re-draw aligned faces as live ones with the De-fake Face Generator (docs/method.md §2).",
    discussion: """
      INPUT is an image or a folder tree of aligned faces (256x256 PNG/JPEG); OUTPUT mirrors \
      the tree as PNGs. Finished faces are skipped, so rerunning after a crash continues where \
      it stopped; --shard i/n gives this machine every n-th face (0-based i) of the sorted list. \
      Every face draws its noise from torch.manual_seed(--seed) on its own, so results do not \
      depend on --batch or --shard.
      """)

  @OptionGroup var parts: DFGModelOptions
  @Option(
    help: "A LoRA file from `agfas finetune-dfg` or diffusers (pytorch_lora_weights.safetensors), merged into the UNet."
  )
  var lora: String?

  @Option(help: "An image or a folder tree of aligned faces.")
  var input: String
  @Option(help: "Output folder (mirrors the input tree).")
  var output: String

  @Option(help: "Seed of the two Gaussian draws (torch.manual_seed semantics).")
  var seed: UInt64 = 0
  @Option(parsing: .unconditional, help: "Noise level to start from: the first timestep <= strength (reference: 801).")
  var strength = 801
  @Option(parsing: .unconditional, help: "Scheduler inference steps (reference: 50; 41 UNet calls at strength 801).")
  var steps = 50
  @Option(help: "pndm or ddim (default: the scheduler config's class).")
  var scheduler: String?
  @Option(help: "auto, fp32 or bf16; \(autoPrecisionHelp).")
  var precision = "auto"
  @Option(parsing: .unconditional, help: "Faces per UNet call.")
  var batch = 1
  @Option(help: "This machine's share: i/n (0-based).")
  var shard = "0/1"
  @Option(help: "Also write the run's start-up time, faces per hour and peak memory to this JSON file.")
  var stats: String?

  // Options are checked here, not in run(), so a mistake shows this subcommand's usage.
  // Numbers use .unconditional parsing: "--strength -5" is read and refused here, not taken
  // for a missing value.
  func validate() throws {
    try validatePrecision(precision)
    guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    guard steps >= 1 else { throw ValidationError("--steps must be at least 1, not \(steps)") }
    guard strength >= 0 else { throw ValidationError("--strength must be at least 0, not \(strength)") }
    if let scheduler, !["pndm", "ddim"].contains(scheduler) {
      throw ValidationError("--scheduler must be pndm or ddim, not '\(scheduler)'")
    }
    do {
      _ = try ReconstructionJob.Shard(parsing: shard)
    } catch {
      throw ValidationError("\(error)")
    }
  }

  func run() throws {
    let startedAt = Date()
    let paths = try parts.paths(lora: lora)
    let job = try ReconstructionJob(input: input, output: output, shard: .init(parsing: shard))
    guard !job.pending.isEmpty else {
      stderr("all \(job.items.count) faces of shard \(shard) are already reconstructed in \(output)")
      return
    }
    // Once for the run: an output that is a file would otherwise fail every face on its own.
    try FileSystemError.createFolder(output)
    let dtype = try precisionType(precision)
    stderr("loading the DFG (\(precisionName(dtype))) ...")
    let pipeline = try DFGPipeline.load(paths, precision: dtype)
    let loaded = ProcessClock.secondsSinceLaunch ?? -startedAt.timeIntervalSinceNow
    let run = ReconstructionRun(
      pipeline: pipeline, options: .init(strength: strength, steps: steps, scheduler: scheduler), seed: seed,
      batchSize: batch)
    var progress = ProgressLine()
    let failures = try run.run(job, startedAt: startedAt) { progress.handle($0) }
    let summary = ReconstructionStats(
      precision: precisionName(dtype), batch: batch, written: progress.done, failed: progress.failed,
      launchToModelsSeconds: loaded, launchToFirstStepSeconds: progress.firstStepAfterLaunch,
      reconstructionSeconds: progress.elapsed, steadyFacesPerHour: progress.steadyFacesPerHour,
      peakResidentBytes: ProcessMemory.peakResidentBytes, weightBytes: pipeline.weightBytes)
    progress.finish(summary)
    if let stats {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try AtomicFile.write(Array(try encoder.encode(summary)), to: stats)
    }
    if failures > 0 { throw ExitCode(1) }
  }
}

/// Progress with an ETA on standard error (one line per face, a live step counter on a terminal).
struct ProgressLine {
  var total = 0
  var done = 0
  var failed = 0
  var started = DispatchTime.now().uptimeNanoseconds
  let live = isatty(2) != 0
  /// When the first UNet step ended, in seconds after the process started.
  var firstStepAfterLaunch: Double?
  /// Faces and seconds of each batch, in order.
  var batches: [(faces: Int, seconds: Double)] = []
  /// Faces per hour over the batches after the first (nil with one batch): the rate a long
  /// run settles at, without the first batch's one-time costs (kernel set-up, weight reorders).
  var steadyFacesPerHour: Double? {
    let rest = batches.dropFirst()
    let seconds = rest.reduce(0) { $0 + $1.seconds }
    return rest.isEmpty || seconds <= 0 ? nil : Double(rest.reduce(0) { $0 + $1.faces }) * 3600 / seconds
  }
  var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }

  mutating func handle(_ event: ReconstructionRun.Event) {
    switch event {
    case .started(let all, let pending):
      total = pending
      stderr("\(pending) of \(all) faces to reconstruct (\(all - pending) already done)")
    case .finishedBatch(let faces, let seconds):
      batches.append((faces, seconds))
    case .removedLeftovers(let paths):
      stderr("removed \(paths.count) temporary file(s) of an earlier, interrupted run")
    case .step(let i, let n):
      if firstStepAfterLaunch == nil { firstStepAfterLaunch = ProcessClock.secondsSinceLaunch }
      if live { FileHandle.standardError.write("\r  step \(i)/\(n)   ".data(using: .utf8)!) }
    case .wrote(let item, let perFace):
      done += 1
      let eta = elapsed / Double(done) * Double(total - done - failed)
      stderr(
        String(
          format: "%@[%d/%d] %@  %.1f s/face, ETA %@", live ? "\r" : "", done, total, item.output, perFace,
          duration(eta)))
    case .failed(let item, let error):
      failed += 1
      stderr("\(live ? "\r" : "")failed: \(error.hasPrefix(item.input) ? error : "\(item.input): \(error)")")
    }
  }

  func finish(_ stats: ReconstructionStats) {
    let start = stats.launchToFirstStepSeconds.map { String(format: ", first UNet step done %.1f s after launch", $0) }
    stderr(
      "done: \(done) written, \(failed) failed in \(duration(stats.reconstructionSeconds))"
        + String(format: " (%.0f faces/hour", stats.facesPerHour)
        + (stats.steadyFacesPerHour.map { String(format: ", %.0f after the first batch", $0) } ?? "")
        + String(format: "; peak memory %.2f GiB", gib(stats.peakResidentBytes))
        + String(format: " for %.2f GiB of weights%@)", gib(stats.weightBytes), start ?? ""))
  }

  func gib(_ bytes: Int) -> Double { Double(bytes) / 1_073_741_824 }

  func duration(_ s: Double) -> String {
    let t = Int(s.rounded())
    return t >= 3600 ? "\(t / 3600)h\(t % 3600 / 60)m" : t >= 60 ? "\(t / 60)m\(t % 60)s" : "\(t)s"
  }
}
