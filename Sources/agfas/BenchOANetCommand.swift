import AGFASBench
import ArgumentParser
import Foundation

struct BenchOANet: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "oanet",
    abstract:
      "Time full-size OA-Net (ViT-B/16 + ResNet-18, random weights): forward b1/b16, one SSDG train step b12.",
    discussion:
      "Build in release: swift run -c release agfas bench oanet --python VENV/bin/python (needs transformers in the venv)"
  )

  @Option(help: "Element types to time: fp32, bf16 or both (comma separated).")
  var precision = "fp32,bf16"

  @Option(help: "Timed repeats per part (the median is reported).")
  var `repeat` = 3

  @Option(help: "Python of a venv with torch and transformers; when given, PyTorch times the same parts in this run.")
  var python: String?

  @Option(help: "The PyTorch side of the benchmark.")
  var torchScript = "scripts/bench_oanet_torch.py"

  /// Checked before run(), so a mistake shows this subcommand's usage.
  func validate() throws { _ = try parsePrecisions(precision, repeats: `repeat`) }

  func run() throws {
    setlinebuf(stdout)  // progress lines appear as they happen, also when piped to a file
    let (names, dtypes) = try parsePrecisions(precision, repeats: `repeat`)
    let threads = ProcessInfo.processInfo.activeProcessorCount
    print("AGFAS OA-Net on \(threads) threads, \(`repeat`) repeats (median)")
    let ours = try OANetBenchmark.run(dtypes: dtypes, repeats: `repeat`) { print($0) }
    let torch = try torchResults(python, script: torchScript, repeats: `repeat`, dtypes: names)
    print(benchTable(ours: ours, torch: torch))
    print("bf16: bf16 compute with fp32 master weights on both sides (PyTorch: torch.autocast).")
  }
}
