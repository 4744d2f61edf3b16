import AGFASBench
import AGFASEngine
import ArgumentParser

@main
struct AGFAS: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "agfas",
    abstract: "AG-FAS face anti-spoofing: reconstruct faces with the DFG, train and run OA-Net.",
    subcommands: [Align.self, Reconstruct.self, Evaluate.self, Labels.self, Inspect.self, Bench.self])
}
