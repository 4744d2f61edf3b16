import AGFASBench
import AGFASEngine
import ArgumentParser
import Foundation

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure speed on this machine, beside PyTorch when a PyTorch venv is given.",
    subcommands: [BenchOps.self])
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

  func run() throws {
    let names = precision.split(separator: ",").map(String.init)
    let dtypes = try names.map { name -> DType in
      switch name {
      case "fp32": return .float32
      case "bf16": return .bfloat16
      default: throw ValidationError("unknown precision '\(name)': use fp32, bf16 or fp32,bf16")
      }
    }
    guard `repeat` > 0 else { throw ValidationError("--repeat must be at least 1") }
    let threads = ProcessInfo.processInfo.activeProcessorCount
    print("AGFAS engine on \(threads) threads, \(`repeat`) repeats (median)")
    let ours = try OpsBenchmark.run(dtypes: dtypes, repeats: `repeat`)
    var torch: [BenchResult] = []
    if let python {
      torch = try TorchReference.run(
        python: python, script: torchScript,
        arguments: ["--threads", "\(threads)", "--repeat", "\(`repeat`)", "--dtypes", names.joined(separator: ",")])
    }
    print(benchTable(ours: ours, torch: torch))
  }
}
