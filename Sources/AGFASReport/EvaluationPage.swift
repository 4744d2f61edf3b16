import AGFASEvaluation
import AGFASImage
import Foundation
import Plot

/// `agfas evaluate --report DIR`: one self-contained page with the metrics table, the ROC and
/// DET curves with the EER point, the video scores' histograms of live faces and of each attack
/// kind with the threshold, and APCER per attack kind at that threshold.
public struct EvaluationPage {
  public var report: EvaluationReport

  public init(report: EvaluationReport) { self.report = report }

  public static let fileName = "index.html"

  @discardableResult
  public func write(to folder: String) throws -> String {
    try FileSystemError.createFolder(folder)
    let path = URL(fileURLWithPath: folder).appendingPathComponent(Self.fileName).path
    try AtomicFile.write(Array(render().utf8), to: path)
    return path
  }

  /// Videos by class: "live", then each attack kind.
  var classes: [(name: String, scores: [Double])] {
    var byKind: [String: [Double]] = [:]
    for v in report.videos where v.label == 0 { byKind[AttackType.of(video: v.video), default: []].append(v.score) }
    let live = report.videos.filter { $0.label == 1 }.map(\.score)
    return [("live", live)] + byKind.keys.sorted().map { ($0, byKind[$0]!) }
  }

  static func colour(_ name: String) -> String {
    switch name {
    case "live": "#1a9850"
    case AttackType.print: "#d73027"
    case AttackType.replay: "#4575b4"
    case AttackType.mask: "#984ea3"
    default: "#f46d43"
    }
  }

  public func render() -> String {
    let m = report.metrics
    func pct(_ v: Double) -> String { String(format: "%.2f %%", v * 100) }
    let rows: [(String, String)] = [
      ("HTER", pct(m.hter)), ("AUC", pct(m.auc)), ("EER", pct(m.eer)),
      ("EER threshold", String(format: "%.4f", m.eerThreshold)),
      ("threshold used", String(format: "%.4f", m.threshold)),
      ("accuracy", pct(m.accuracy)), ("APCER", pct(m.apcer)), ("BPCER", pct(m.bpcer)), ("ACER", pct(m.acer)),
      ("TPR at FPR 1 %", pct(m.tprAtFPR1Percent)), ("TPR at FPR 0.1 %", pct(m.tprAtFPR01Percent)),
    ]
    let kinds = classes.dropFirst()
    let html = HTML(
      .head(.meta(.charset(.utf8)), .title("AGFAS evaluation"), .style(Self.css)),
      .body(
        .h1("AGFAS evaluation"),
        .p(
          .class("about"),
          .text(
            (report.source.map { "\($0): " } ?? "")
              + "\(report.videos.count) videos (\(m.lives) live, \(m.spoofs) spoof) from \(report.frames) frames; "
              + "scores are P(live) averaged per video, live at or above the threshold")),
        .div(
          .class("row"),
          .table(
            .class("metrics"),
            .forEach(rows) { row in .tr(.th(.text(row.0)), .td(.text(row.1))) }),
          .table(
            .class("metrics"),
            .tr(.th("attack kind"), .th("videos"), .th("APCER at threshold")),
            .forEach(Array(kinds)) { kind in
              .tr(
                .td(.text(kind.name)), .td(.text("\(kind.scores.count)")),
                .td(
                  .text(pct(Double(kind.scores.filter { $0 >= m.threshold }.count) / Double(max(kind.scores.count, 1))))
                ))
            })),
        .div(.class("row"), .raw(rocChart()), .raw(detChart()), .raw(histogram()))
      ))
    return html.render(indentedBy: .spaces(1))
  }

  func rocChart() -> String {
    let ticks = stride(from: 0.0, through: 1.0, by: 0.2).map { ($0, String(format: "%.1f", $0)) }
    var chart = SVGChart(
      title: "ROC",
      x: .init(label: "false positive rate (attacks accepted)", scale: .linear(0...1), ticks: ticks),
      y: .init(label: "true positive rate (live accepted)", scale: .linear(0...1), ticks: ticks))
    chart.series = [
      .init(name: "", colour: "#bbb", points: [(0, 0), (1, 1)], dashed: true),
      .init(
        name: String(format: "AUC %.2f %%", report.metrics.auc * 100), colour: "#222",
        points: report.roc.map { ($0.fpr, $0.tpr) }),
    ]
    chart.markers = [
      (report.metrics.eerFAR, 1 - report.metrics.eerFRR, String(format: "EER %.2f %%", report.metrics.eer * 100))
    ]
    return chart.render()
  }

  func detChart() -> String {
    let range = 0.001...0.5
    let ticks: [(Double, String)] = [(0.001, "0.1"), (0.01, "1"), (0.05, "5"), (0.2, "20"), (0.5, "50")]
    var chart = SVGChart(
      title: "DET",
      x: .init(label: "APCER, % (attacks accepted)", scale: .probit(range), ticks: ticks),
      y: .init(label: "BPCER, % (live rejected)", scale: .probit(range), ticks: ticks))
    chart.series = [
      .init(
        name: "", colour: "#bbb", points: [(range.lowerBound, range.lowerBound), (range.upperBound, range.upperBound)],
        dashed: true),
      .init(name: "", colour: "#222", points: report.roc.map { ($0.fpr, 1 - $0.tpr) }),
    ]
    chart.markers = [
      (report.metrics.eerFAR, report.metrics.eerFRR, String(format: "EER %.2f %%", report.metrics.eer * 100))
    ]
    return chart.render()
  }

  func histogram(bins: Int = 20) -> String {
    var chart = SVGChart(
      title: "video scores",
      x: .init(
        label: "P(live)", scale: .linear(0...1),
        ticks: stride(from: 0.0, through: 1.0, by: 0.2).map { ($0, String(format: "%.1f", $0)) }),
      y: .init(
        label: "share of the class's videos", scale: .linear(0...1),
        ticks: stride(from: 0.0, through: 1.0, by: 0.25).map { ($0, String(format: "%.2f", $0)) }))
    var peak = 0.0
    var series: [SVGChart.Series] = []
    for kind in classes where !kind.scores.isEmpty {
      var counts = [Double](repeating: 0, count: bins)
      for s in kind.scores { counts[min(max(Int(s * Double(bins)), 0), bins - 1)] += 1 }
      let shares = counts.map { $0 / Double(kind.scores.count) }
      peak = max(peak, shares.max() ?? 0)
      var points: [(x: Double, y: Double)] = [(0, 0)]
      for (i, share) in shares.enumerated() {
        points.append((Double(i) / Double(bins), share))
        points.append((Double(i + 1) / Double(bins), share))
      }
      points.append((1, 0))
      series.append(.init(name: "\(kind.name) (\(kind.scores.count))", colour: Self.colour(kind.name), points: points))
    }
    let step = peak <= 0.3 ? 0.05 : peak <= 0.6 ? 0.1 : 0.2
    let top = max(step, (peak / step).rounded(.up) * step)
    chart.y.scale = .linear(0...top)
    chart.y.ticks = stride(from: 0.0, through: top + 1e-9, by: step).map { ($0, String(format: "%.2f", $0)) }
    chart.series = series
    chart.rules = [(report.metrics.threshold, String(format: "threshold %.3f", report.metrics.threshold))]
    return chart.render()
  }

  static let css = """
    body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
    .about { color: #555; }
    .row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; margin: 1em 0; }
    table.metrics { border-collapse: collapse; }
    table.metrics td, table.metrics th { border: 1px solid #ccc; padding: 0.25em 0.8em; text-align: right; }
    table.metrics th { text-align: left; background: #f4f4f4; }
    svg.chart text { font-size: 11px; fill: #333; }
    svg.chart .chart-title { font-size: 14px; font-weight: bold; }
    svg.chart .grid { stroke: #e5e5e5; }
    svg.chart .frame { fill: none; stroke: #555; }
    svg.chart .rule { stroke: #b00020; stroke-dasharray: 3 3; }
    svg.chart .rule-label, svg.chart .marker-label { fill: #b00020; }
    svg.chart .marker { fill: #b00020; }
    """
}
