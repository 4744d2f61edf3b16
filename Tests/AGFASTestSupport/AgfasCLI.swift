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

  /// Runs `agfas` with arguments given as raw bytes, which need not be UTF-8 (`Process` only
  /// takes `String`s): how a shell passes a file named in Latin-1.
  public static func run(bytes args: [[UInt8]], environment: [String: String?] = [:]) throws -> Result {
    var out: [Int32] = [0, 0]
    var err: [Int32] = [0, 0]
    guard pipe(&out) == 0, pipe(&err) == 0 else { throw CocoaError(.fileWriteUnknown) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, out[1], 1)
    posix_spawn_file_actions_adddup2(&actions, err[1], 2)
    for fd in out + err { posix_spawn_file_actions_addclose(&actions, fd) }
    let argv: [UnsafeMutablePointer<CChar>?] =
      ([Array(executable.path.utf8)] + args).map { bytes in
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
        p[bytes.count] = 0
        return p
      } + [nil]
    var env = ProcessInfo.processInfo.environment
    for (name, value) in environment { env[name] = value }
    let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for p in argv { p?.deallocate() }
      for p in envp { free(p) }
    }
    var pid: pid_t = 0
    let status = posix_spawn(&pid, executable.path, &actions, nil, argv, envp)
    close(out[1])
    close(err[1])
    let stdoutHandle = FileHandle(fileDescriptor: out[0], closeOnDealloc: true)
    let stderrHandle = FileHandle(fileDescriptor: err[0], closeOnDealloc: true)
    guard status == 0 else { throw CocoaError(.executableLoad) }
    final class Box: @unchecked Sendable { var data = Data() }
    let stderrBox = Box()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { stderrBox.data = stderrHandle.readDataToEndOfFile() }
    let stdoutData = stdoutHandle.readDataToEndOfFile()
    group.wait()
    var wstatus: Int32 = 0
    while waitpid(pid, &wstatus, 0) < 0 && errno == EINTR {}
    let signalled = wstatus & 0x7F != 0
    return Result(
      status: signalled ? wstatus & 0x7F : (wstatus >> 8) & 0xFF, stdout: String(decoding: stdoutData, as: UTF8.self),
      stderr: String(decoding: stderrBox.data, as: UTF8.self), signalled: signalled)
  }
}
