import AGFASBench
import ArgumentParser
import Foundation

struct BenchFinetune: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "finetune",
    abstract: "Time one DFG fine-tuning step at SD-1.5 size (random weights): LoRA and full, 256-pixel faces.",
    discussion: """
      Build in release: swift run -c release agfas bench finetune --python VENV/bin/python \
      (needs diffusers and peft in the venv). The full step is skipped, with the numbers, \
      where the machine cannot hold it (weights, gradients, AdamW's moments and the EMA).
      """)

  @Option(help: "Element types to time: fp32, bf16 or both (comma separated).")
  var precision = "fp32,bf16"

  @Option(help: "Timed repeats per step (the median is reported).")
  var `repeat` = 3

  @Flag(help: "Time the LoRA step only.")
  var noFull = false

  @Option(
    help: "Python of a venv with torch, diffusers and peft; when given, PyTorch times the same steps in this run.")
  var python: String?

  @Option(help: "The PyTorch side of the benchmark.")
  var torchScript = "scripts/bench_finetune_torch.py"

  /// Checked before run(), so a mistake shows this subcommand's usage.
  func validate() throws { _ = try parsePrecisions(precision, repeats: `repeat`) }

  func run() throws {
    setlinebuf(stdout)  // progress lines appear as they happen, also when piped to a file
    let (names, dtypes) = try parsePrecisions(precision, repeats: `repeat`)
    let threads = ProcessInfo.processInfo.activeProcessorCount
    print("AGFAS fine-tuning step on \(threads) threads, \(`repeat`) repeats (median)")
    let ours = try FinetuneBenchmark.run(dtypes: dtypes, repeats: `repeat`, full: !noFull) { print($0) }
    // Our numbers took minutes: a failed PyTorch side must not lose them.
    var torch: [BenchResult] = []
    do {
      torch = try torchResults(
        python, script: torchScript, repeats: `repeat`, dtypes: names, extra: noFull ? ["--no-full"] : [])
    } catch {
      print("\(error)")
    }
    print(benchTable(ours: ours, torch: torch))
    print("bf16: bf16 compute over fp32 trained weights on both sides (PyTorch: the frozen UNet in bf16, autocast).")
  }
}
