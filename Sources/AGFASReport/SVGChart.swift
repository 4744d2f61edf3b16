import Foundation

/// A chart drawn as SVG text: a frame with ticks and labels, line or step series, point
/// markers and vertical rules. Text uses the browser's fonts, so it stays sharp at any zoom.
public struct SVGChart {
  /// How data values map onto an axis.
  public enum Scale {
    case linear(ClosedRange<Double>)
    /// Normal deviates of probabilities, as DET curves are drawn (a straight line for normal
    /// score distributions); values outside the range are drawn at its edges.
    case probit(ClosedRange<Double>)

    func unit(_ v: Double) -> Double {
      switch self {
      case .linear(let r): return (v - r.lowerBound) / (r.upperBound - r.lowerBound)
      case .probit(let r):
        let (a, b) = (normalQuantile(r.lowerBound), normalQuantile(r.upperBound))
        let c = min(max(v, r.lowerBound), r.upperBound)
        return (normalQuantile(c) - a) / (b - a)
      }
    }
  }

  public struct Axis {
    public var label: String
    public var scale: Scale
    public var ticks: [(value: Double, label: String)]

    public init(label: String, scale: Scale, ticks: [(value: Double, label: String)]) {
      self.label = label
      self.scale = scale
      self.ticks = ticks
    }
  }

  public struct Series {
    public var name: String
    public var colour: String
    public var points: [(x: Double, y: Double)]
    public var dashed = false

    public init(name: String, colour: String, points: [(x: Double, y: Double)], dashed: Bool = false) {
      self.name = name
      self.colour = colour
      self.points = points
      self.dashed = dashed
    }
  }

  public var title: String
  public var x: Axis
  public var y: Axis
  public var series: [Series] = []
  public var markers: [(x: Double, y: Double, label: String)] = []
  public var rules: [(x: Double, label: String)] = []
  public var width = 440
  public var height = 380

  public init(title: String, x: Axis, y: Axis) {
    self.title = title
    self.x = x
    self.y = y
  }

  private let margin = (left: 56.0, right: 14.0, top: 30.0, bottom: 46.0)

  private func px(_ v: Double) -> Double {
    margin.left + x.scale.unit(v) * (Double(width) - margin.left - margin.right)
  }

  private func py(_ v: Double) -> Double {
    Double(height) - margin.bottom - y.scale.unit(v) * (Double(height) - margin.top - margin.bottom)
  }

  public func render() -> String {
    let (w, h) = (Double(width), Double(height))
    let (left, right, top, bottom) = (margin.left, w - margin.right, margin.top, h - margin.bottom)
    var svg = """
      <svg class="chart" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" role="img" \
      aria-label="\(ReportGraphics.escape(title))"><title>\(ReportGraphics.escape(title))</title>\
      <text x="\(w / 2)" y="18" text-anchor="middle" class="chart-title">\(ReportGraphics.escape(title))</text>
      """
    for tick in x.ticks {
      let t = f(px(tick.value))
      svg += "<line x1=\"\(t)\" y1=\"\(f(top))\" x2=\"\(t)\" y2=\"\(f(bottom))\" class=\"grid\"/>"
      svg +=
        "<text x=\"\(t)\" y=\"\(f(bottom + 16))\" text-anchor=\"middle\">\(ReportGraphics.escape(tick.label))</text>"
    }
    for tick in y.ticks {
      let t = f(py(tick.value))
      svg += "<line x1=\"\(f(left))\" y1=\"\(t)\" x2=\"\(f(right))\" y2=\"\(t)\" class=\"grid\"/>"
      svg +=
        "<text x=\"\(f(left - 6))\" y=\"\(t)\" dy=\"4\" text-anchor=\"end\">\(ReportGraphics.escape(tick.label))</text>"
    }
    svg +=
      "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" height=\"\(f(bottom - top))\" class=\"frame\"/>"
    svg +=
      "<text x=\"\(f((left + right) / 2))\" y=\"\(f(h - 8))\" text-anchor=\"middle\">\(ReportGraphics.escape(x.label))</text>"
    svg += """
      <text x="14" y="\(f((top + bottom) / 2))" text-anchor="middle" \
      transform="rotate(-90 14 \(f((top + bottom) / 2)))">\(ReportGraphics.escape(y.label))</text>
      """
    for rule in rules {
      let t = f(px(rule.x))
      svg += "<line x1=\"\(t)\" y1=\"\(f(top))\" x2=\"\(t)\" y2=\"\(f(bottom))\" class=\"rule\"/>"
      svg +=
        "<text x=\"\(t)\" y=\"\(f(top - 4))\" text-anchor=\"middle\" class=\"rule-label\">\(ReportGraphics.escape(rule.label))</text>"
    }
    for s in series where !s.points.isEmpty {
      let path = s.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
      svg += """
        <polyline points="\(path)" fill="none" stroke="\(s.colour)" stroke-width="2"\
        \(s.dashed ? " stroke-dasharray=\"5 4\"" : "")/>
        """
    }
    for m in markers {
      svg += "<circle cx=\"\(f(px(m.x)))\" cy=\"\(f(py(m.y)))\" r=\"5\" class=\"marker\"/>"
      svg +=
        "<text x=\"\(f(px(m.x) + 8))\" y=\"\(f(py(m.y) - 8))\" class=\"marker-label\">\(ReportGraphics.escape(m.label))</text>"
    }
    let named = series.filter { !$0.name.isEmpty }
    for (i, s) in named.enumerated() {
      let ly = top + 14 + Double(i) * 16
      svg += """
        <line x1="\(f(right - 120))" y1="\(f(ly - 4))" x2="\(f(right - 100))" y2="\(f(ly - 4))" stroke="\(s.colour)" \
        stroke-width="3"\(s.dashed ? " stroke-dasharray=\"5 4\"" : "")/>\
        <text x="\(f(right - 94))" y="\(f(ly))" class="legend">\(ReportGraphics.escape(s.name))</text>
        """
    }
    return svg + "</svg>"
  }

  private func f(_ v: Double) -> String { String(format: "%.1f", v) }
}

/// The standard normal quantile Φ⁻¹(p), by bisection on Φ (erfc), ample for drawing.
public func normalQuantile(_ p: Double) -> Double {
  let q = min(max(p, 1e-12), 1 - 1e-12)
  var (lo, hi) = (-8.0, 8.0)
  for _ in 0..<80 {
    let mid = (lo + hi) / 2
    if 0.5 * erfc(-mid / 2.0.squareRoot()) < q { lo = mid } else { hi = mid }
  }
  return (lo + hi) / 2
}
