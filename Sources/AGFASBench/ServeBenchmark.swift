import AGFASEngine
import Foundation

/// Load and abuse of a running `agfas serve` (docs/serve.md): requests at rising concurrency
/// for a fixed time, with throughput, latency percentiles and the server's memory; then
/// malformed requests of every kind, each of which must be answered or closed, never hang or
/// bring the server down.
public enum ServeBenchmark {
  /// One route at one concurrency.
  public struct LoadRow: Sendable {
    public var route: String
    public var concurrency: Int
    public var seconds: Double
    public var outcomes: [String: Int]
    public var latencies: [Double]
    /// The server's resident memory after the phase, and its peak so far (MB).
    public var residentMB: Double
    public var peakMB: Double

    public var requests: Int { latencies.count }
    public var perSecond: Double { Double(requests) / seconds }
    public func percentile(_ p: Double) -> Double {
      guard !latencies.isEmpty else { return .nan }
      let sorted = latencies.sorted()
      return sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
    }
  }

  /// The server under test: its port, its process (for memory), the key to send.
  public struct Target: Sendable {
    public var port: Int
    public var pid: Int32
    public var key: String?

    public init(port: Int, pid: Int32, key: String?) {
      self.port = port
      self.pid = pid
      self.key = key
    }

    var auth: [(String, String)] { key.map { [("Authorization", "Bearer \($0)")] } ?? [] }
  }

  /// `POST /v1/checks` of a PNG photo, with the target's key.
  public static func checkRequest(_ target: Target, photo: [UInt8]) -> [UInt8] {
    RawHTTP.request("POST", "/v1/checks", headers: target.auth + [("Content-Type", "image/png")], body: photo)
  }

  /// `POST /v1/predict` of an aligned face and its reconstruction (PNGs), with the target's key.
  public static func predictRequest(_ target: Target, face: [UInt8], reconstruction: [UInt8]) -> [UInt8] {
    let boundary = "agfas-bench"
    return RawHTTP.request(
      "POST", "/v1/predict", headers: target.auth + [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
      body: RawHTTP.form([("face", face), ("reconstruction", reconstruction)], boundary: boundary))
  }

  /// `concurrency` clients send `request` back to back for `seconds`.
  public static func load(
    _ target: Target, route: String, request: [UInt8], concurrency: Int, seconds: Double
  ) -> LoadRow {
    let tally = Tally()
    let start = Date()
    inParallel(concurrency) {
      while Date().timeIntervalSince(start) < seconds {
        let began = DispatchTime.now().uptimeNanoseconds
        let outcome = RawHTTP.exchange(port: target.port, parts: [request], timeout: 120)
        let took = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        tally.add(describe(outcome), latency: took)
      }
    }
    let (rss, peak) = memory(of: target.pid)
    return LoadRow(
      route: route, concurrency: concurrency, seconds: Date().timeIntervalSince(start), outcomes: tally.outcomes,
      latencies: tally.latencies, residentMB: rss, peakMB: peak)
  }

  /// How the malformed requests fared, by kind.
  public struct AbuseRow: Sendable {
    public var kind: String
    public var outcomes: [String: Int]
    public var hung: Int { outcomes["hang", default: 0] }
    public var serverErrors: Int { outcomes.filter { $0.key.hasPrefix("5") && $0.key != "503" }.values.reduce(0, +) }
  }

  /// `count` malformed requests over the kinds below, `parallel` at a time; `photo` is a real
  /// PNG to damage. Slow senders stall past the server's idle timeout, so they run last, all
  /// at once.
  public static func abuse(_ target: Target, count: Int, photo: [UInt8], parallel: Int = 16, slow: Int = 50)
    -> [AbuseRow]
  {
    let kinds = malformedKinds(target, photo: photo)
    let tallies = Tallies()
    let next = Counter()
    inParallel(parallel) {
      while true {
        let i = next.take()
        guard i < count else { return }
        let (name, parts, halfClose) = kinds[i % kinds.count]
        let outcome = RawHTTP.exchange(port: target.port, parts: parts, halfClose: halfClose, timeout: 30)
        tallies.add(name, describe(outcome))
      }
    }
    // Slow senders: a header, then one byte a second, longer than the idle timeout allows.
    let head = RawHTTP.request(
      "POST", "/v1/checks", headers: target.auth + [("Content-Type", "image/png"), ("Content-Length", "100000")])
    inParallel(slow) {
      let parts = [head] + (0..<90).map { [photo[$0]] }
      let outcome = RawHTTP.exchange(port: target.port, parts: parts, pause: 1, timeout: 120)
      tallies.add("slow sender", describe(outcome))
    }
    return tallies.rows.sorted { $0.key < $1.key }.map { AbuseRow(kind: $0.key, outcomes: $0.value) }
  }

  static func malformedKinds(_ target: Target, photo: [UInt8]) -> [(String, [[UInt8]], Bool)] {
    let auth = target.auth
    let png = [("Content-Type", "image/png")]
    var random = SystemRandomNumberGenerator()
    let garbage = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }
    // A PNG whose valid header claims 60000x60000 pixels (3.6 Gpx) in 57 bytes.
    var bomb = Array(photo.prefix(33))
    bomb.replaceSubrange(16..<24, with: [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60])
    let crc = crc32(bomb[12..<29])
    bomb.replaceSubrange(
      29..<33, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
    bomb += [0, 0, 0, 12] + Array("IDAT".utf8) + [0x78, 0x9C, 0x63, 0x60, 0, 0, 0, 2, 0, 1] + [0, 0, 0, 0]
    let boundary = "b0undary"
    let form = RawHTTP.form([("image", photo)], boundary: boundary)
    return [
      (
        "truncated body",
        [
          RawHTTP.request(
            "POST", "/v1/checks", headers: auth + png + [("Content-Length", "\(photo.count)")],
            body: Array(photo.prefix(photo.count / 3)))
        ], true
      ),
      (
        "body longer than Content-Length",
        [RawHTTP.request("POST", "/v1/checks", headers: auth + png + [("Content-Length", "100")], body: photo)], false
      ),
      ("garbage image", [RawHTTP.request("POST", "/v1/checks", headers: auth + png, body: garbage)], false),
      (
        "damaged PNG",
        [
          RawHTTP.request(
            "POST", "/v1/checks", headers: auth + png, body: Array(photo.prefix(photo.count / 2)) + garbage.prefix(512))
        ], false
      ),
      ("pixel bomb header", [RawHTTP.request("POST", "/v1/checks", headers: auth + png, body: bomb)], false),
      (
        "huge header",
        [RawHTTP.request("GET", "/healthz", headers: [("X-Junk", String(repeating: "a", count: 200_000))])], false
      ),
      ("many headers", [RawHTTP.request("GET", "/healthz", headers: (0..<3000).map { ("X-\($0)", "v") })], false),
      ("garbage request line", [garbage], false),
      (
        "bad Content-Length",
        [RawHTTP.request("POST", "/v1/checks", headers: auth + png + [("Content-Length", "-5")], body: photo)], false
      ),
      (
        "bad chunked body",
        [
          RawHTTP.request("POST", "/v1/checks", headers: auth + png + [("Transfer-Encoding", "chunked")])
            + Array("zz\r\nabc\r\n".utf8)
        ], true
      ),
      (
        "multipart without end",
        [
          RawHTTP.request(
            "POST", "/v1/checks", headers: auth + [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
            body: Array(form.dropLast(20)))
        ], false
      ),
      (
        "multipart wrong boundary",
        [
          RawHTTP.request(
            "POST", "/v1/checks", headers: auth + [("Content-Type", "multipart/form-data; boundary=other")], body: form)
        ], false
      ),
      (
        "long URL", [RawHTTP.request("GET", "/v1/checks/" + String(repeating: "%2e", count: 20_000), headers: auth)],
        false
      ),
      ("unknown method", [RawHTTP.request("BREW", "/v1/checks", headers: auth)], false),
      (
        "wrong key",
        [RawHTTP.request("POST", "/v1/checks", headers: [("Authorization", "Bearer nope")] + png, body: photo)], false
      ),
      ("headers cut short", [Array("POST /v1/checks HTTP/1.1\r\nHost: x\r\nContent-Ty".utf8)], true),
    ]
  }

  static func describe(_ outcome: RawHTTP.Outcome) -> String {
    switch outcome {
    case .status(let code): return String(code)
    case .closed: return "closed"
    case .timeout: return "hang"
    case .refused: return "refused"
    }
  }

  /// VmRSS and VmHWM of a process, in MB.
  public static func memory(of pid: Int32) -> (rss: Double, peak: Double) {
    func field(_ name: String) -> Double {
      let bytes = ProcessMemory.statusField(name, pid: pid)
      return bytes > 0 ? Double(bytes) / 1_048_576 : .nan
    }
    return (field("VmRSS:"), field("VmHWM:"))
  }
}

/// Hands out 0, 1, 2, ... to threads.
final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0
  func take() -> Int {
    lock.withLock {
      defer { value += 1 }
      return value
    }
  }
}

/// Outcomes and latencies gathered from many threads.
final class Tally: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var latencies: [Double] = []
  private(set) var outcomes: [String: Int] = [:]
  func add(_ outcome: String, latency: Double) {
    lock.withLock {
      latencies.append(latency)
      outcomes[outcome, default: 0] += 1
    }
  }
}

/// Outcomes by kind, gathered from many threads.
final class Tallies: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var rows: [String: [String: Int]] = [:]
  func add(_ kind: String, _ outcome: String) { lock.withLock { rows[kind, default: [:]][outcome, default: 0] += 1 } }
}

/// Runs `body` on `count` threads at once (not Dispatch's pool, which runs one per core:
/// clients that mostly wait must all be waiting together) and returns when all are done.
func inParallel(_ count: Int, _ body: @escaping @Sendable () -> Void) {
  let group = DispatchGroup()
  for _ in 0..<count {
    group.enter()
    let thread = Thread {
      body()
      group.leave()
    }
    thread.start()
  }
  group.wait()
}

/// CRC-32 as PNG chunks use it (ISO 3309).
func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in bytes {
    crc ^= UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  return ~crc
}
