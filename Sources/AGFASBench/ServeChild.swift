import Foundation

/// `agfas serve` started from this executable, its port read from its log.
public final class ServeChild {
  let process = Process()
  public private(set) var port = 0
  let key: String?
  public var pid: Int32 { process.processIdentifier }
  private let lock = NSLock()
  private var log = ""
  /// What the server has logged so far.
  public var output: String { lock.withLock { log } }

  /// Starts `agfas serve ARGUMENTS` (they must include `--port 0` and `--log-format json`) with
  /// `executable` (default: this one) and waits until it is ready; `key` goes with requests.
  public init(executable: URL? = nil, arguments: [String], key: String?) throws {
    self.key = key
    process.executableURL = executable ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = arguments
    let pipe = Pipe()
    process.standardError = pipe
    process.standardOutput = FileHandle.nullDevice
    pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
      let data = handle.availableData
      guard let self, !data.isEmpty else { return }
      self.lock.withLock { self.log += String(decoding: data, as: UTF8.self) }
    }
    try process.run()
    let deadline = Date().addingTimeInterval(600)
    while port == 0, Date() < deadline, process.isRunning {
      let text = lock.withLock { log }
      for line in text.split(separator: "\n") where line.contains("\"message\":\"listening\"") {
        let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        port = Int(object?["port"] as? String ?? "") ?? 0
      }
      Thread.sleep(forTimeInterval: 0.05)
    }
    guard port > 0 else { throw BenchError("agfas serve did not start:\n\(lock.withLock { log })") }
    // Ready once the models are loaded.
    while Date() < deadline, process.isRunning {
      if (try? json("GET", "/readyz"))?["status"] as? String == "ready" { return }
      Thread.sleep(forTimeInterval: 0.2)
    }
    throw BenchError("agfas serve did not get ready:\n\(lock.withLock { log })")
  }

  public func json(_ method: String, _ path: String, body: [UInt8] = [], type: String? = nil) throws -> [String: Any] {
    let data = try fetch(method, path, body: body, type: type)
    return (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
  }

  public func bytes(_ path: String) throws -> [UInt8] { [UInt8](try fetch("GET", path)) }

  private func fetch(_ method: String, _ path: String, body: [UInt8] = [], type: String? = nil) throws -> Data {
    let headers = (type.map { [("Content-Type", $0)] } ?? []) + (key.map { [("Authorization", "Bearer \($0)")] } ?? [])
    let request = RawHTTP.request(method, path, headers: headers, body: body)
    guard let (_, answer) = RawHTTP.fetch(port: port, request) else {
      throw BenchError("no answer from agfas serve to \(method) \(path)")
    }
    return Data(answer)
  }

  /// SIGKILL: no graceful shutdown, as a crash or an OOM kill.
  public func kill() {
    Foundation.kill(pid, SIGKILL)
    process.waitUntilExit()
  }

  public func stop() {
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
    }
  }
}

/// Why the serve benchmark could not go on.
public struct BenchError: Error, CustomStringConvertible {
  public let description: String
  init(_ description: String) { self.description = description }
}
