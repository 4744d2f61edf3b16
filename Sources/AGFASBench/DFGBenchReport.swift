import AGFASDFG
import Foundation

/// The derived tables of `agfas bench dfg`: shares of the host's peak, and the `agfas
/// reconstruct` runs (throughput per batch size, start-up, memory against the weights).
public enum DFGBenchReport {
  /// The parts whose GFLOP/s are compared with the peak (issue goal: >= 85 %).
  static let peakParts = ["unet step b1", "unet step b4", "reconstruction (41 steps)"]

  /// Per dtype: the best GFLOP/s of our peak convolutions, and each DFG part's GFLOP/s as a
  /// share of it, ours and each peer's (their work on the same host against the same peak).
  public static func peakRatios(ours: [BenchResult], peers: [(name: String, results: [BenchResult])]) -> String {
    let peers = peers.filter { !$0.results.isEmpty }
    var lines: [String] = []
    for dtype in unique(ours.map(\.dtype)) {
      let convs = ours.filter { $0.dtype == dtype && DFGKernelsBenchmark.peakRows.contains($0.op) }
      guard let peak = convs.max(by: { $0.gflops < $1.gflops }) else { continue }
      lines.append(String(format: "%@ peak: %.1f GFLOP/s (ours, %@)", dtype, peak.gflops, peak.op))
      var header = pad("share of the peak", 30) + pad("ours", 8)
      for peer in peers { header += pad(peer.name, 10) }
      lines.append(header)
      for part in peakParts {
        guard let r = ours.first(where: { $0.op == part && $0.dtype == dtype }) else { continue }
        var line = pad(part, 30) + pad(percent(r.gflops / peak.gflops), 8)
        for peer in peers {
          let t = peer.results.first { $0.op == part && $0.dtype == dtype }
          line += pad(t.map { percent($0.gflops / peak.gflops) } ?? "", 10)
        }
        lines.append(line.trimmingCharacters(in: .whitespaces))
      }
    }
    return lines.joined(separator: "\n")
  }

  /// The child runs: faces per hour after the first batch (the whole run's beside it) against
  /// batch 1 of the same dtype, start-up, and peak memory against the weights' size (issue
  /// goal: <= 1.2).
  public static func runs(_ runs: [ReconstructionStats]) -> String {
    func rate(_ r: ReconstructionStats) -> Double { r.steadyFacesPerHour ?? r.facesPerHour }
    var lines = [
      "agfas reconstruct (child process; faces/hour after the first batch, whole run beside it; times from exec)",
      pad("dtype", 6) + pad("batch", 6) + pad("faces/hour", 11) + pad("vs b1", 7) + pad("whole run", 10)
        + pad("models ready s", 15) + pad("1st step s", 11) + pad("peak GiB", 9) + pad("weights GiB", 12)
        + "peak/weights",
    ]
    for r in runs {
      let b1 = runs.first { $0.precision == r.precision && $0.batch == 1 }
      lines.append(
        pad(r.precision, 6) + pad("\(r.batch)", 6) + pad(String(format: "%.1f", rate(r)), 11)
          + pad(b1.map { String(format: "%.2fx", rate(r) / rate($0)) } ?? "", 7)
          + pad(String(format: "%.1f", r.facesPerHour), 10) + pad(String(format: "%.1f", r.launchToModelsSeconds), 15)
          + pad(r.launchToFirstStepSeconds.map { String(format: "%.1f", $0) } ?? "", 11)
          + pad(String(format: "%.2f", gib(r.peakResidentBytes)), 9)
          + pad(String(format: "%.2f", gib(r.weightBytes)), 12)
          + String(format: "%.2f", r.memoryRatio))
    }
    return lines.joined(separator: "\n")
  }

  static func gib(_ bytes: Int) -> Double { Double(bytes) / 1_073_741_824 }
  static func percent(_ x: Double) -> String { String(format: "%.0f%%", x * 100) }
  static func pad(_ s: String, _ n: Int) -> String {
    s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
  }
  static func unique(_ xs: [String]) -> [String] { xs.reduce(into: []) { if !$0.contains($1) { $0.append($1) } } }
}
