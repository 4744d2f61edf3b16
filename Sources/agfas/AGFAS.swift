import AGFASBench
import AGFASEngine
import ArgumentParser
import Foundation

struct AGFAS: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "agfas",
    abstract: "AG-FAS face anti-spoofing: reconstruct faces with the DFG, train and run OA-Net.",
    subcommands: [
      Frames.self, Align.self, Reconstruct.self, Evaluate.self, Labels.self, Train.self, Predict.self, Inspect.self,
      Bench.self,
    ])
}

@main
enum Entry {
  static func main() {
    preferPassiveOpenMP()
    AGFAS.main()
  }

  /// oneDNN runs on libgomp, whose idle workers spin by default; the engine's own Swift loops
  /// then compete with them for the cores. Measured here on 2 cores: equal speed on an idle
  /// machine, but 5 s instead of 0.58 s per SD-1.5 UNet step when other work shares the
  /// machine. libgomp reads OMP_WAIT_POLICY only when it loads, so the tool re-executes itself
  /// once with PASSIVE unless the user chose a policy.
  static func preferPassiveOpenMP() {
    guard getenv("OMP_WAIT_POLICY") == nil else { return }
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
    let args = CommandLine.unsafeArgv
    execv("/proc/self/exe", args)
    // execv only returns on failure: carry on with the default policy.
  }
}
