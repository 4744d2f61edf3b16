import AGFASImage

/// A ROC curve drawn as an RGB image: FPR on x, TPR on y, both 0...1, with a light grid and
/// tick labels every 0.2, the chance diagonal (dashed grey), the curve (blue) and an optional
/// marker (red disc, the EER point in reports). Line widths and text scale with the size.
public struct ROCPlot {
  /// The curve's points, in order (as `ROCCurve.points`).
  public var points: [ROCPoint]
  /// A point to mark, such as the EER operating point (FAR, 1 - FRR).
  public var marker: (fpr: Double, tpr: Double)?
  public var width: Int
  public var height: Int

  /// Sizes from 64 to 16384 pixels a side are accepted by `image()`.
  public static let sizes = 64...16384

  static let curveColor = Color(r: 31, g: 119, b: 180)
  static let markerColor = Color(r: 214, g: 39, b: 40)
  static let gridColor = Color(r: 225, g: 225, b: 225)
  static let diagonalColor = Color(r: 150, g: 150, b: 150)

  public init(points: [ROCPoint], marker: (fpr: Double, tpr: Double)? = nil, width: Int = 512, height: Int = 512) {
    self.points = points
    self.marker = marker
    self.width = width
    self.height = height
  }

  /// Renders the plot; throws `.invalidArgument` for a size outside `sizes`.
  public func image() throws -> Image {
    guard Self.sizes.contains(width), Self.sizes.contains(height) else {
      throw EvaluationError.invalidArgument(
        "ROC plot size \(width)x\(height) is out of range (\(Self.sizes.lowerBound)...\(Self.sizes.upperBound) a side)")
    }
    let frame = PlotFrame(width: width, height: height)
    let s = frame.scale
    var canvas = Canvas(width: width, height: height, background: .white)
    let ticks = (0...5).map { Double($0) / 5 }
    for t in ticks {
      canvas.line(from: frame.at(t, 0), to: frame.at(t, 1), thickness: 1, Self.gridColor)
      canvas.line(from: frame.at(0, t), to: frame.at(1, t), thickness: 1, Self.gridColor)
    }
    canvas.line(from: frame.at(0, 0), to: frame.at(1, 1), thickness: s, Self.diagonalColor, dash: 4 * s)
    // The frame goes under the curve, which often runs along the plot's top and left edges.
    for (a, b) in [((0.0, 0.0), (1.0, 0.0)), ((0, 0), (0, 1)), ((1, 0), (1, 1)), ((0, 1), (1, 1))] {
      canvas.line(from: frame.at(a.0, a.1), to: frame.at(b.0, b.1), thickness: s, .black)
    }
    for (a, b) in zip(points, points.dropFirst()) {
      canvas.line(from: frame.at(a.fpr, a.tpr), to: frame.at(b.fpr, b.tpr), thickness: 2 * s, Self.curveColor)
    }
    if let marker {
      let p = frame.at(marker.fpr, marker.tpr)
      canvas.disc(x: p.x, y: p.y, radius: 3 * s + 1, Self.markerColor)
    }
    drawLabels(on: &canvas, frame: frame, ticks: ticks)
    return try canvas.image()
  }

  /// Renders the plot and writes it to `path` as a PNG, atomically.
  public func writePNG(to path: String) throws {
    try image().writePNG(to: path)
  }

  private func drawLabels(on canvas: inout Canvas, frame: PlotFrame, ticks: [Double]) {
    let s = frame.scale
    let textHeight = PixelFont.height * s
    for t in ticks {
      let label = tickLabel(t)
      let w = PixelFont.textWidth(label, scale: s)
      let x = frame.at(t, 0)
      canvas.text(label, x: Int(x.x.rounded()) - w / 2, y: frame.bottom + 3 * s, scale: s, .black)
      let y = frame.at(0, t)
      canvas.text(label, x: frame.left - 3 * s - w, y: Int(y.y.rounded()) - textHeight / 2, scale: s, .black)
    }
    let fpr = PixelFont.textWidth("FPR", scale: s)
    canvas.text("FPR", x: (frame.left + frame.right - fpr) / 2, y: frame.bottom + 5 * s + textHeight, scale: s, .black)
    canvas.text("TPR", x: frame.left - 3 * s - PixelFont.textWidth("0.0", scale: s), y: s, scale: s, .black)
  }
}

/// "0", "0.2", ..., "0.8", "1".
private func tickLabel(_ t: Double) -> String {
  let tenths = Int((t * 10).rounded())
  return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
}

/// Where the plot area sits in the image, and the map from (FPR, TPR) to pixels.
struct PlotFrame {
  /// Line widths and font pixels per 256 pixels of the smaller side.
  let scale: Int
  let left: Int
  let right: Int
  let top: Int
  let bottom: Int

  init(width: Int, height: Int) {
    scale = max(1, min(width, height) / 256)
    left = 20 * scale
    right = width - 1 - 8 * scale
    top = 11 * scale
    bottom = height - 1 - 18 * scale
  }

  /// The pixel centre of (fpr, tpr).
  func at(_ fpr: Double, _ tpr: Double) -> (x: Double, y: Double) {
    (Double(left) + fpr * Double(right - left), Double(bottom) - tpr * Double(bottom - top))
  }
}
