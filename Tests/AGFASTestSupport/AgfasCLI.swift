import Foundation

/// Runs the `agfas` executable that SwiftPM built beside the test bundle, as a user would.
public enum AgfasCLI {
  /// Exit status and both output streams of one run.
  public struct Result {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    /// Whether the process exited (`status` is its exit code) or was killed (the signal).
    public var signalled = false
  }

  private final class Anchor {}

  /// The built `agfas` binary (searched upwards from the test bundle).
  public static var executable: URL {
    var dir = Bundle(for: Anchor.self).bundleURL
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("agfas").path), dir.path != "/" {
      dir = dir.deletingLastPathComponent()
    }
    return dir.appendingPathComponent("agfas")
  }

  /// Runs `agfas args...` to completion, with `environment` added to (or, with a nil value,
  /// removed from) this process's; both streams are drained concurrently so a chatty command
  /// cannot block on a full pipe.
  public static func run(_ args: [String], environment: [String: String?] = [:]) throws -> Result {
    let p = Process()
    p.executableURL = executable
    p.arguments = args
    if !environment.isEmpty {
      var env = ProcessInfo.processInfo.environment
      for (name, value) in environment { env[name] = value }
      p.environment = env
    }
    let (out, err) = (Pipe(), Pipe())
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // A box the reader fills before `group.wait()` returns (the group orders the accesses).
    final class Box: @unchecked Sendable { var data = Data() }
    let stderrBox = Box()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { stderrBox.data = err.fileHandleForReading.readDataToEndOfFile() }
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    let stderrData = stderrBox.data
    return Result(
      status: p.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
      stderr: String(decoding: stderrData, as: UTF8.self), signalled: p.terminationReason == .uncaughtSignal)
  }
}
