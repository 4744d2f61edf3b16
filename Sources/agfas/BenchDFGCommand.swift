import AGFASBench
import AGFASDFG
import AGFASEngine
import ArgumentParser
import Foundation

struct BenchDFG: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dfg",
    abstract:
      "Time the DFG at full SD-1.5 size (random weights) beside PyTorch and OpenVINO: peak convolutions, attention, UNet step b1/b4, VAE at 256, whole reconstructions, memory, start-up and batch sizes.",
    discussion: """
      Build in release: swift run -c release agfas bench dfg --python VENV/bin/python \
      --openvino VENV/bin/python (the venv needs torch and diffusers; openvino for --openvino). \
      The reconstruct rows run `agfas reconstruct --stats` as a child process on models written \
      to a temporary folder (or on --models). docs/reconstruct-speed.md explains every row.
      """)

  @Option(help: "Element types to time: fp32, bf16 or both (comma separated).")
  var precision = "fp32,bf16"

  @Option(help: "Timed repeats per part (the median is reported; the whole reconstruction runs once).")
  var `repeat` = 3

  @Flag(help: "Skip the whole 41-step reconstructions (in process, PyTorch's and OpenVINO's).")
  var noFull = false

  @Option(help: "Batch sizes of the `agfas reconstruct` runs (comma separated; 'none' skips them).")
  var batches = "1,4"

  @Option(help: "Batches per `agfas reconstruct` run (faces/hour is measured after the first).")
  var batchesPerRun = 2

  @Option(help: "What to time: kernels (peak convolutions, attention), parts (UNet, VAE, reconstruction), runs.")
  var parts = "kernels,parts,runs"

  @Option(
    help:
      "A DFG model folder (reference layout) for the `agfas reconstruct` runs; if it does not exist, the random models are written there and kept."
  )
  var models: String?

  @Option(help: "Python of a venv with torch and diffusers; when given, PyTorch times the same parts in this run.")
  var python: String?

  @Option(help: "The PyTorch side of the benchmark.")
  var torchScript = "scripts/bench_dfg_torch.py"

  @Option(help: "Python of a venv with torch, diffusers and openvino; when given, OpenVINO times the same parts.")
  var openvino: String?

  @Option(help: "The OpenVINO side of the benchmark.")
  var openvinoScript = "scripts/bench_dfg_openvino.py"

  /// Checked before run(), so a mistake shows this subcommand's usage.
  func validate() throws {
    _ = try parsePrecisions(precision, repeats: `repeat`)
    _ = try batchSizes()
    _ = try selectedParts()
    guard batchesPerRun >= 1 else { throw ValidationError("--batches-per-run must be at least 1") }
  }

  func selectedParts() throws -> Set<String> {
    let names = Set(parts.split(separator: ",").map(String.init))
    let unknown = names.subtracting(["kernels", "parts", "runs"])
    guard unknown.isEmpty, !names.isEmpty else {
      throw ValidationError("--parts: use kernels, parts and/or runs (comma separated), not '\(parts)'")
    }
    return names
  }

  func batchSizes() throws -> [Int] {
    if batches == "none" { return [] }
    return try batches.split(separator: ",").map {
      guard let b = Int($0), b >= 1 else {
        throw ValidationError("--batches: '\($0)' is not a batch size (or use none)")
      }
      return b
    }
  }

  func run() throws {
    setlinebuf(stdout)  // progress lines appear as they happen, also when piped to a file
    let (names, dtypes) = try parsePrecisions(precision, repeats: `repeat`)
    let selected = try selectedParts()
    let sizes = selected.contains("runs") ? try batchSizes() : []
    let threads = ProcessInfo.processInfo.activeProcessorCount
    print("AGFAS DFG on \(threads) threads, \(`repeat`) repeats (median)")
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-bench-dfg-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: work) }
    let modelFolder = models ?? (work as NSString).appendingPathComponent("models")
    var ours: [BenchResult] = []
    if selected.contains("kernels") {
      ours += try DFGKernelsBenchmark.run(dtypes: dtypes, repeats: `repeat`) { print($0) }
    }
    let writeModels = sizes.isEmpty || FileManager.default.fileExists(atPath: modelFolder) ? nil : modelFolder
    if selected.contains("parts") || writeModels != nil {
      ours += try DFGBenchmark.run(
        dtypes: dtypes, repeats: `repeat`, full: !noFull, timed: selected.contains("parts"), writeModels: writeModels
      ) { print($0) }
    }
    var runs: [ReconstructionStats] = []
    if !sizes.isEmpty {
      let faces = (work as NSString).appendingPathComponent("faces")
      try ReconstructRunBenchmark.writeFaces(count: sizes.max()! * batchesPerRun, to: faces)
      print("agfas reconstruct on \(models ?? "the random models") (one batch each):")
      for name in names {
        for b in sizes {
          runs.append(
            try ReconstructRunBenchmark.run(
              models: modelFolder, faces: faces, precision: name, batch: b, batches: batchesPerRun, work: work
            ) { print($0) })
        }
      }
    }
    let extra = noFull ? ["--no-full"] : []
    // The peers time kernels and parts; a runs-only bench has nothing to set beside them.
    let peersNeeded = selected.contains("kernels") || selected.contains("parts")
    let python = peersNeeded ? python : nil
    let openvino = peersNeeded ? openvino : nil
    let torch = try torchResults(python, script: torchScript, repeats: `repeat`, dtypes: names, extra: extra)
    let vino = try torchResults(
      openvino, script: openvinoScript, repeats: `repeat`, dtypes: names, extra: extra, side: "OpenVINO")
    print(benchTable(ours: ours, peers: [("torch", torch.filter { $0.op != "peak RSS GiB" }), ("openvino", vino)]))
    print()
    print(DFGBenchReport.peakRatios(ours: ours, peers: [("torch", torch), ("openvino", vino)]))
    if !runs.isEmpty {
      print()
      print(DFGBenchReport.runs(runs))
    }
    let torchPeak = torch.first { $0.op == "peak RSS GiB" }.map {
      String(format: "; PyTorch's whole run %.1f GiB", $0.gflop)
    }
    print(
      String(format: "peak resident memory of this bench process %.1f GiB", Double(peakResidentKiB()) / 1_048_576)
        + (torchPeak ?? ""))
  }
}
