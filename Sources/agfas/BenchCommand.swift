import AGFASBench
import AGFASEngine
import ArgumentParser
import Foundation

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure speed on this machine, beside PyTorch when a PyTorch venv is given.",
    subcommands: [
      BenchOps.self, BenchDFG.self, BenchFaces.self, BenchOANet.self, BenchServe.self, BenchFinetune.self,
    ])
}

struct BenchOps: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ops",
    abstract: "Time conv 3x3 320->320, a 2048^3 matmul and 8x1024x40 attention (GFLOP/s).",
    discussion: "Build in release: swift run -c release agfas bench ops --python VENV/bin/python")

  @Option(help: "Element types to time: fp32, bf16 or both (comma separated).")
  var precision = "fp32,bf16"

  @Option(help: "Timed repeats per op (the median is reported).")
  var `repeat` = 10

  @Option(help: "Python of a venv with torch; when given, PyTorch times the same ops in this run.")
  var python: String?

  @Option(help: "The PyTorch side of the benchmark.")
  var torchScript = "scripts/bench_ops_torch.py"

  /// Checked before run(), so a mistake shows this subcommand's usage.
  func validate() throws { _ = try parsePrecisions(precision, repeats: `repeat`) }

  func run() throws {
    setlinebuf(stdout)  // progress lines appear as they happen, also when piped to a file
    let (names, dtypes) = try parsePrecisions(precision, repeats: `repeat`)
    let threads = ProcessInfo.processInfo.activeProcessorCount
    print("AGFAS engine on \(threads) threads, \(`repeat`) repeats (median)")
    let ours = try OpsBenchmark.run(dtypes: dtypes, repeats: `repeat`)
    let torch = try torchResults(python, script: torchScript, repeats: `repeat`, dtypes: names)
    print(benchTable(ours: ours, torch: torch))
  }
}

/// This process's peak resident set (getrusage ru_maxrss, KiB on Linux).
func peakResidentKiB() -> Int {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return usage.ru_maxrss
}

/// Parses a --precision list ("fp32,bf16") and checks --repeat, for the bench commands.
func parsePrecisions(_ list: String, repeats: Int) throws -> (names: [String], dtypes: [DType]) {
  let names = list.split(separator: ",").map(String.init)
  let dtypes = try names.map { name -> DType in
    guard let type = dtype(named: name) else {
      throw ValidationError("unknown precision '\(name)': use fp32, bf16 or fp32,bf16")
    }
    return type
  }
  guard repeats > 0 else { throw ValidationError("--repeat must be at least 1") }
  return (names, dtypes)
}

/// The PyTorch side of a bench command, when `--python` was given: the same work in the
/// committed script, on as many threads as the engine uses.
func torchResults(
  _ python: String?, script: String, repeats: Int, dtypes names: [String], extra: [String] = [],
  side: String = "PyTorch"
) throws -> [BenchResult] {
  guard let python else { return [] }
  print("running \(side) ...")
  let threads = ProcessInfo.processInfo.activeProcessorCount
  return try TorchReference.run(
    python: python, script: script,
    arguments: ["--threads", "\(threads)", "--repeat", "\(repeats)", "--dtypes", names.joined(separator: ",")] + extra,
    side: side)
}
