import Foundation

/// One timed op: median seconds over the repeats, and the work it does.
public struct BenchResult: Sendable, Codable {
  public let op: String
  public let dtype: String
  public let seconds: Double
  public let gflop: Double

  public init(op: String, dtype: String, seconds: Double, gflop: Double) {
    self.op = op
    self.dtype = dtype
    self.seconds = seconds
    self.gflop = gflop
  }

  public var gflops: Double { gflop / seconds }
}

/// Median wall time of `body` over `repeat` runs after two warm-up runs (primitive creation,
/// weight reorders and page faults happen in the warm-up, as they would once per model load).
public func medianSeconds(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
  for _ in 0..<2 { try body() }
  var times: [Double] = []
  for _ in 0..<max(1, repeats) {
    let t = DispatchTime.now().uptimeNanoseconds
    try body()
    times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
  }
  times.sort()
  return times[times.count / 2]
}

/// Renders ours-vs-PyTorch rows as a fixed-width table.
public func benchTable(ours: [BenchResult], torch: [BenchResult]) -> String {
  benchTable(ours: ours, peers: [("torch", torch)])
}

/// Renders our rows beside each peer's (PyTorch, OpenVINO) as a fixed-width table: a peer's
/// milliseconds and GFLOP/s, and our speed-up over it (its time over ours). A peer without a
/// row for an op leaves its columns blank; a peer with no rows at all gets no columns.
public func benchTable(ours: [BenchResult], peers: [(name: String, results: [BenchResult])]) -> String {
  func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
  func num(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }
  let peers = peers.filter { !$0.results.isEmpty }
  let width = max(30, (ours.map(\.op.count).max() ?? 0) + 1)
  var header = pad("op", width) + pad("dtype", 6) + pad("ours ms", 10) + pad("ours GF/s", 11)
  for peer in peers { header += pad("\(peer.name) ms", 12) + pad("\(peer.name) GF/s", 13) + pad("vs \(peer.name)", 12) }
  var lines = [header.trimmingCharacters(in: .whitespaces)]
  for r in ours {
    var line = pad(r.op, width) + pad(r.dtype, 6) + pad(num(r.seconds * 1000, 2), 10) + pad(num(r.gflops), 11)
    for peer in peers {
      if let t = peer.results.first(where: { $0.op == r.op && $0.dtype == r.dtype }) {
        line +=
          pad(num(t.seconds * 1000, 2), 12) + pad(num(t.gflops), 13) + pad(num(t.seconds / r.seconds, 2) + "x", 12)
      } else {
        line += String(repeating: " ", count: 37)
      }
    }
    lines.append(line.trimmingCharacters(in: .whitespaces))
  }
  return lines.joined(separator: "\n")
}
