import AGFASCheck
import AGFASImage
import Foundation

/// Everything `agfas serve` is started with (docs/serve.md). The defaults are the CLI's.
public struct ServeConfiguration: Sendable {
  /// Loopback by default: a service reachable from other hosts is a choice, made with keys.
  public var host = "127.0.0.1"
  /// 0 picks a free port (tests); the bound one is reported by `LivenessServer.onListening`.
  public var port = 8080
  /// Folder of the SQLite database and the images; survives restarts.
  public var stateFolder: String
  /// Faces per DFG call.
  public var batch = 4
  /// Checks queued or running at once, over all clients; beyond it 503.
  public var queueLimit = 1000
  /// Checks one API key may have queued or running; beyond it 429.
  public var perClientLimit = 100
  /// Finished checks (and their images) are deleted this long after they finish.
  public var retainSeconds: Double = 24 * 3600
  /// Largest request body; larger is 413 before it is read.
  public var maxBodyBytes = 20 * 1024 * 1024
  /// Pixel limits checked from the image header before decoding (413).
  public var imageLimits = ImageLimits()
  /// The longest `?wait=` honoured.
  public var maxWaitSeconds: Double = 60
  /// Connections idle (or sending too slowly to make progress) this long are closed.
  public var idleTimeoutSeconds: Int64 = 30
  /// A check interrupted this many times (crashes, kills) fails instead of running again.
  public var maxAttempts = 3
  /// Accepted clients; nil lets anyone in (allowed on loopback only, or with `openToAll`).
  public var apiKeys: APIKeys?
  /// Accept a non-loopback host without API keys.
  public var openToAll = false
  /// The check's sizes, seed and DFG options, as `agfas check` takes them.
  public var check = LivenessCheck.Options()

  public init(stateFolder: String) {
    self.stateFolder = stateFolder
  }

  /// Refuses settings that would make a service unsafe or unable to work, with the option named.
  public func validate() throws {
    func require(_ ok: Bool, _ message: String) throws {
      if !ok { throw ServeError.configuration(message) }
    }
    try require((0...65535).contains(port), "--port must be within 0...65535, not \(port)")
    try require((1...64).contains(batch), "--batch must be within 1...64, not \(batch)")
    try require(queueLimit >= 1, "--queue must be at least 1, not \(queueLimit)")
    try require(perClientLimit >= 1, "--per-client must be at least 1, not \(perClientLimit)")
    try require(retainSeconds.isFinite && retainSeconds > 0, "--retain must be a positive duration")
    try require(maxBodyBytes >= 1024, "--max-body must be at least 1 KB")
    try require(
      apiKeys != nil || openToAll || Self.isLoopback(host),
      "--host \(host) without --api-keys would let anyone on the network in; give --api-keys FILE "
        + "(or AGFAS_API_KEYS), or --open to accept that")
  }

  static func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host.hasPrefix("127.")
  }
}

/// Errors of the service that are not HTTP answers: settings, the state folder, models.
public enum ServeError: Error, CustomStringConvertible, LocalizedError {
  case configuration(String)
  case state(String)

  public var description: String {
    switch self {
    case .configuration(let s): return s
    case .state(let s): return "state folder: \(s)"
    }
  }

  public var errorDescription: String? { description }
}

/// Parses durations as the CLI takes them: `90s`, `30m`, `24h`, `7d`, or plain seconds.
public func parseDuration(_ text: String) -> Double? {
  let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
  var number = Substring(text)
  var scale = 1.0
  if let last = text.last, let unit = units[last] {
    number = text.dropLast()
    scale = unit
  }
  guard let value = Double(number), value.isFinite, value > 0 else { return nil }
  return value * scale
}
