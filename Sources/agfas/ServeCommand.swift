import AGFASCheck
import AGFASDFG
import AGFASFaces
import AGFASImage
import AGFASOANet
import AGFASServe
import ArgumentParser
import Foundation
import Logging

struct Serve: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run the liveness service: an HTTP API with a durable queue (docs/serve.md).",
    discussion: """
      POST /v1/checks takes a photo and answers 202 with a check id; the worker finds the \
      faces, aligns them, runs the DFG on up to --batch faces per call, computes the cue and, \
      with --oanet, P(live); GET /v1/checks/{id}?wait=30 returns the result. Checks live in \
      SQLite under --state and survive restarts (also kill -9). The API is described at \
      /openapi.json; /healthz, /readyz and /metrics (Prometheus) are for operators.

      Listens on 127.0.0.1 unless --host says otherwise; another host needs --api-keys (or \
      AGFAS_API_KEYS), a file of hashed keys that `agfas serve --new-key` makes lines for.
      """)

  @Option(help: "The models folder (default: $AGFAS_HOME/models, else ~/.cache/agfas/models).")
  var models: String?
  @Option(help: "MTCNN weights folder (default: $AGFAS_MTCNN_WEIGHTS, else <models>/mtcnn).")
  var weights: String?
  @Option(help: "A trained OA-Net checkpoint; without it checks have no verdict and /v1/predict answers 501.")
  var oanet: String?
  @Option(help: "OA-Net config JSON, for sizes the checkpoint does not show.")
  var config: String?
  @Option(parsing: .unconditional, help: "P(live) at or above this is 'live'.")
  var threshold: Float = 0.5

  @Option(help: "Address to listen on.")
  var host = "127.0.0.1"
  @Option(parsing: .unconditional, help: "Port to listen on (0: any free port, printed in the log).")
  var port = 8080
  @Option(parsing: .unconditional, help: "Faces per DFG call.")
  var batch = 4
  @Option(parsing: .unconditional, help: "Checks queued or running at once; beyond it 503 with Retry-After.")
  var queue = 1000
  @Option(parsing: .unconditional, help: "Checks one API key may have queued or running; beyond it 429.")
  var perClient = 100
  @Option(
    help: "Folder of the database and images (default: $XDG_STATE_HOME/agfas/serve, else ~/.local/state/agfas/serve).")
  var state: String?
  @Option(help: "How long finished checks are kept: 90s, 30m, 24h, 7d.")
  var retain = "24h"
  @Option(help: "File of hashed API keys, one `sha256:<hex> [name]` per line (also: AGFAS_API_KEYS).")
  var apiKeys: String?
  @Flag(help: "Allow a non-loopback --host without API keys.")
  var open = false
  @Option(parsing: .unconditional, help: "Largest request body in MB.")
  var maxBody = 20
  @Option(
    parsing: .unconditional, help: "Close connections idle this many seconds; a body must arrive within twice it (408)."
  )
  var idleTimeout = 30
  @Option(help: "auto, fp32 or bf16; \(autoPrecisionHelp).")
  var precision = "auto"
  @Option(help: "json (one object per line) or text.")
  var logFormat = "json"

  @OptionGroup var stages: CheckStageOptions

  @Flag(help: "Print a new API key and the line for the --api-keys file, then exit.")
  var newKey = false
  @Option(help: "With --new-key: the client's name, used in logs and per-client limits.")
  var name: String?

  func validate() throws {
    try validatePrecision(precision)
    guard ["json", "text"].contains(logFormat) else { throw ValidationError("--log-format is json or text") }
    guard parseDuration(retain) != nil else {
      throw ValidationError("--retain takes 90s, 30m, 24h or 7d, not \(retain)")
    }
    guard threshold.isFinite, (0...1).contains(threshold) else {
      throw ValidationError("--threshold must be within [0, 1], not \(threshold)")
    }
    guard (1...1024).contains(maxBody) else { throw ValidationError("--max-body must be within 1...1024 MB") }
    guard (1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be within 1...3600 s") }
  }

  func run() throws {
    if newKey {
      let (key, line) = APIKeys.newKey(name: name)
      print("key (give it to the client; it is not stored): \(key)")
      print("line for the --api-keys file: \(line)")
      return
    }
    var settings = ServeConfiguration(stateFolder: state ?? Self.defaultStateFolder())
    settings.host = host
    settings.port = port
    settings.batch = batch
    settings.queueLimit = queue
    settings.perClientLimit = perClient
    settings.retainSeconds = parseDuration(retain)!
    settings.maxBodyBytes = maxBody * 1024 * 1024
    settings.imageLimits = stages.limits
    settings.openToAll = open
    settings.idleTimeoutSeconds = Int64(idleTimeout)
    settings.check = stages.check
    if let apiKeys {
      settings.apiKeys = try APIKeys(file: apiKeys)
    } else if let text = ProcessInfo.processInfo.environment["AGFAS_API_KEYS"], !text.isEmpty {
      settings.apiKeys = try APIKeys(text: text, source: "AGFAS_API_KEYS")
    }
    try settings.validate()

    // The DFG's files are checked before the port opens, listing every missing one; a file
    // that fails to load later (MTCNN's, OA-Net's) stops the server with its error and exit 1.
    let paths = try dfgModelPaths(models: models, lora: stages.lora, partFlags: false)
    let mtcnn = mtcnnWeightsFolder(weights, models: models)
    let dtype = try precisionType(precision)
    let (oanet, config, threshold, detection) = (self.oanet, self.config, self.threshold, stages.detection)
    let logger = Self.logger(format: logFormat)
    let server = try LivenessServer(configuration: settings, logger: logger) {
      let detector = try MTCNN(weightsFolder: mtcnn, options: detection)
      let dfg = try DFGPipeline.load(paths, precision: dtype)
      let predictor = try oanet.map {
        try OANetPredictor(checkpoint: $0, configPath: config, threshold: threshold, precision: dtype)
      }
      return LivenessCheck(detector: detector, dfg: dfg, oanet: predictor)
    }
    let done = DispatchSemaphore(value: 0)
    let outcome = ResultBox()
    Task {
      do { try await server.run() } catch { outcome.error = error }
      done.signal()
    }
    done.wait()
    if let error = outcome.error { throw error }
  }

  static func logger(format: String) -> Logger {
    LoggingSystem.bootstrap { label in
      if format == "json" { return JSONLogHandler(label: label) }
      return StreamLogHandler.standardError(label: label)
    }
    var logger = Logger(label: "agfas-serve")
    if let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) {
      logger.logLevel = level
    }
    return logger
  }

  static func defaultStateFolder() -> String {
    let environment = ProcessInfo.processInfo.environment
    let base =
      environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
      ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/state")
    return (base as NSString).appendingPathComponent("agfas/serve")
  }
}

/// The server task's error, handed to the blocked main thread.
final class ResultBox: @unchecked Sendable {
  var error: Error?
}
