import AGFASBench
import AGFASModels
import AGFASServe
import ArgumentParser
import Foundation

struct BenchServe: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Load and abuse `agfas serve`: throughput, latency percentiles, memory, malformed requests.",
    discussion: """
      Starts `agfas serve` as a child process (its own state folder, --queue 64, \
      --idle-timeout 5) with the models given, runs one check to get an aligned face and its \
      reconstruction, then for each concurrency sends POST /v1/predict (with --oanet) and \
      POST /v1/checks for --seconds; checks fill the queue, so most are answered 503 and the \
      server's memory shows whether a full queue stays bounded. Then --malformed requests of \
      every kind (truncated bodies, wrong lengths, garbage and bomb images, huge headers, \
      slow senders, ...): each must be answered or closed. Build in release.
      """)

  @Option(help: "The models folder (default: $AGFAS_HOME/models, else ~/.cache/agfas/models).")
  var models: String?
  @Option(help: "MTCNN weights folder (default: $AGFAS_MTCNN_WEIGHTS, else <models>/mtcnn).")
  var weights: String?
  @Option(help: "A trained OA-Net checkpoint; without it /v1/predict is not timed.")
  var oanet: String?
  @Option(help: "OA-Net config JSON.")
  var config: String?
  @Option(help: "The photo to send (default: the example photo of the models folder).")
  var photo: String?
  @Option(parsing: .unconditional, help: "Aligned crop size of the server.")
  var size = 256
  @Option(parsing: .unconditional, help: "DFG steps of the server.")
  var steps = 50
  @Option(help: "auto, fp32 or bf16 for the server.")
  var precision = "auto"
  @Option(help: "Concurrencies, comma-separated.")
  var concurrency = "1,4,16,64"
  @Option(parsing: .unconditional, help: "Seconds per route and concurrency.")
  var seconds = 10.0
  @Option(parsing: .unconditional, help: "Malformed requests to send (0: none).")
  var malformed = 10000

  func validate() throws {
    guard parsedConcurrency != nil else { throw ValidationError("--concurrency takes positive integers, e.g. 1,4,16") }
    guard seconds > 0, malformed >= 0 else { throw ValidationError("--seconds must be > 0 and --malformed >= 0") }
  }

  var parsedConcurrency: [Int]? {
    let values = concurrency.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 1024 }) else { return nil }
    return values.map { $0! }
  }

  func run() throws {
    setlinebuf(stdout)
    let folder = modelsFolder(models)
    let photoPath = photo ?? folder.location(ofItem: "examples")! + "/astronaut.png"
    guard let photoBytes = FileManager.default.contents(atPath: photoPath) else {
      throw ValidationError("cannot read the photo \(photoPath) (give --photo)")
    }
    let state = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-bench-serve-\(getpid())")
    defer { try? FileManager.default.removeItem(at: state) }
    // With an API key, so that every request also goes through authentication.
    let (key, line) = APIKeys.newKey(name: "bench")
    try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
    try line.write(to: state.appendingPathComponent("keys.txt"), atomically: true, encoding: .utf8)
    var arguments = [
      "serve", "--port", "0", "--state", state.appendingPathComponent("state").path,
      "--api-keys", state.appendingPathComponent("keys.txt").path, "--queue", "64", "--per-client", "1000000",
      "--idle-timeout", "5", "--size", "\(size)", "--steps", "\(steps)", "--precision", precision,
      "--log-format", "json",
    ]
    if let models { arguments += ["--models", models] }
    if let weights { arguments += ["--weights", weights] }
    if let oanet { arguments += ["--oanet", oanet] + (config.map { ["--config", $0] } ?? []) }
    let server = try ServeChild(arguments: arguments, key: key)
    defer { server.stop() }
    let target = ServeBenchmark.Target(port: server.port, pid: server.pid, key: key)
    print(
      "agfas serve on port \(server.port) (pid \(server.pid)), \(ProcessInfo.processInfo.activeProcessorCount) cores")

    // One check, to have a real aligned face and reconstruction for /v1/predict.
    let check = try server.json("POST", "/v1/checks", body: [UInt8](photoBytes), type: "image/png")
    let id = check["id"] as? String ?? ""
    let done = try server.json("GET", "/v1/checks/\(id)?wait=60")
    let started = Date()
    var result = done
    while result["status"] as? String != "done", Date().timeIntervalSince(started) < 3600 {
      result = try server.json("GET", "/v1/checks/\(id)?wait=60")
      guard result["status"] as? String != "failed" else { throw ValidationError("the check failed: \(result)") }
    }
    guard let face = (result["faces"] as? [[String: Any]])?.first, let images = face["images"] as? [String: String]
    else { throw ValidationError("no face found in \(photoPath)") }
    let aligned = try server.bytes(images["aligned"]!)
    let reconstruction = try server.bytes(images["reconstruction"]!)
    print(String(format: "one check (1 face): %.1f s", Date().timeIntervalSince(started)))

    var rows: [ServeBenchmark.LoadRow] = []
    for c in parsedConcurrency! {
      if oanet != nil {
        rows.append(
          ServeBenchmark.load(
            target, route: "POST /v1/predict",
            request: ServeBenchmark.predictRequest(target, face: aligned, reconstruction: reconstruction),
            concurrency: c, seconds: seconds))
        print(describe(rows.last!))
      }
      rows.append(
        ServeBenchmark.load(
          target, route: "POST /v1/checks",
          request: ServeBenchmark.checkRequest(target, photo: [UInt8](photoBytes)),
          concurrency: c, seconds: seconds))
      print(describe(rows.last!))
    }
    if malformed > 0 {
      print("\n\(malformed) malformed requests, then 50 slow senders:")
      let abuse = ServeBenchmark.abuse(target, count: malformed, photo: [UInt8](photoBytes))
      for row in abuse {
        let outcomes = row.outcomes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        print("  \(row.kind.padding(toLength: 32, withPad: " ", startingAt: 0)) \(outcomes)")
      }
      let hung = abuse.map(\.hung).reduce(0, +)
      let errors = abuse.map(\.serverErrors).reduce(0, +)
      let alive = (try? server.json("GET", "/healthz"))?["status"] as? String == "ok"
      print("hung: \(hung), 5xx other than 503: \(errors), server alive after: \(alive ? "yes" : "NO")")
    }
    let (rss, peak) = ServeBenchmark.memory(of: server.pid)
    print(String(format: "server memory at the end: %.0f MB resident, %.0f MB peak", rss, peak))
  }

  func describe(_ row: ServeBenchmark.LoadRow) -> String {
    let outcomes = row.outcomes.sorted { $0.key < $1.key }.map { "\($0.key)x\($0.value)" }.joined(separator: " ")
    return String(
      format: "%@  c=%-3d %7.1f req/s  p50 %7.1f ms  p95 %7.1f ms  p99 %7.1f ms  RSS %5.0f MB (peak %5.0f)  %@",
      row.route, row.concurrency, row.perSecond, row.percentile(0.5) * 1000, row.percentile(0.95) * 1000,
      row.percentile(0.99) * 1000, row.residentMB, row.peakMB, outcomes)
  }
}
