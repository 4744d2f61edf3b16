import AGFASBench
import AGFASEngine
import AGFASImage
import ArgumentParser
import Foundation

struct AGFAS: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "agfas",
    abstract: "AG-FAS face anti-spoofing: reconstruct faces with the DFG, train and run OA-Net.",
    subcommands: [
      Frames.self, Align.self, Reconstruct.self, Evaluate.self, Labels.self, Train.self, Predict.self, Inspect.self,
      Check.self, Serve.self, FinetuneDFG.self, Models.self, Bench.self, Doctor.self,
    ])
}

@main
enum Entry {
  static func main() {
    preferPassiveOpenMP()
    do {
      var command = try AGFAS.parseAsRoot()
      try command.run()
    } catch {
      // A Foundation error that escaped a command (NSCocoaErrorDomain Code=516 ... UserInfo=...)
      // is said as a sentence naming the path and the cause.
      AGFAS.exit(withError: FileSystemError.mapping(error))
    }
  }

  /// oneDNN runs on libgomp, whose idle workers spin by default; the engine's own Swift loops
  /// then compete with them for the cores. Measured here on 2 cores: equal speed on an idle
  /// machine, but 5 s instead of 0.58 s per SD-1.5 UNet step when other work shares the
  /// machine. libgomp reads OMP_WAIT_POLICY only when it loads, so the tool re-executes itself
  /// once with PASSIVE unless the user chose a policy.
  static func preferPassiveOpenMP() {
    guard getenv("OMP_WAIT_POLICY") == nil else { return }
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
    setenv(passiveMarker, String(getpid()), 1)
    let args = CommandLine.unsafeArgv
    execv("/proc/self/exe", args)
    // execv only returns on failure: carry on with the default policy.
    unsetenv(passiveMarker)
  }

  /// Set (to the process id, which execv keeps) beside OMP_WAIT_POLICY when agfas chose
  /// PASSIVE itself, so `agfas doctor` can tell the user's setting from its own; a child
  /// process inheriting it has another id.
  static let passiveMarker = "AGFAS_OMP_WAIT_POLICY_DEFAULTED"

  /// Whether this process runs with the PASSIVE policy agfas chose (the user set none).
  static var setPassiveOpenMP: Bool {
    ProcessInfo.processInfo.environment[passiveMarker] == String(getpid())
  }
}
