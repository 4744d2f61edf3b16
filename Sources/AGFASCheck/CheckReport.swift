import AGFASImage
import AGFASReport
import Foundation
import Plot

/// `agfas check --report DIR`: one self-contained HTML page (every image inlined) with, per
/// photo, the photo with each face's box and landmarks, and per face the aligned crop, its
/// reconstruction, the cue heat map with its scale, the cue statistics and the score.
public struct CheckReport {
  public struct Photo {
    public var path: String
    public var image: AGFASImage.Image?
    public var faces: [LivenessCheck.Face]
    /// Why the photo could not be checked (unreadable, no face).
    public var problem: String?

    public init(path: String, image: AGFASImage.Image?, faces: [LivenessCheck.Face], problem: String? = nil) {
      self.path = path
      self.image = image
      self.faces = faces
      self.problem = problem
    }
  }

  public var photos: [Photo]
  /// Whether a trained OA-Net scored the faces.
  public var scored: Bool
  /// Lines about the run: models, precision, seed.
  public var about: [String]

  public init(photos: [Photo], scored: Bool, about: [String]) {
    self.photos = photos
    self.scored = scored
    self.about = about
  }

  public static let fileName = "index.html"

  /// Writes `DIR/index.html` atomically and returns its path.
  @discardableResult
  public func write(to folder: String) throws -> String {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = URL(fileURLWithPath: folder).appendingPathComponent(Self.fileName).path
    try AtomicFile.write(Array(try render().utf8), to: path)
    return path
  }

  public func render() throws -> String {
    let sections = try photos.map(section)
    let notice: Node<HTML.BodyContext> =
      scored
      ? .empty
      : .p(
        .class("notice"),
        .text(
          "No trained OA-Net was given (--oanet), so there is no liveness verdict: none is released, and "
            + "training one needs the four licensed face anti-spoofing datasets (agfas train). The anomalous "
            + "cue below is what OA-Net would look at: bright where the face differs from its \"real\" "
            + "re-drawing."))
    let html = HTML(
      .head(.meta(.charset(.utf8)), .title("AGFAS check"), .style(Self.css)),
      .body(
        .h1("AGFAS liveness check"),
        .p(.class("about"), .text(about.joined(separator: " · "))),
        notice,
        .forEach(sections) { .raw($0) }
      ))
    return html.render(indentedBy: .spaces(1))
  }

  private func section(_ photo: Photo) throws -> String {
    let name = ReportGraphics.escape(photo.path)
    var out = "<section class=\"photo\"><h2>\(name)</h2>"
    if let problem = photo.problem { out += "<p class=\"problem\">\(ReportGraphics.escape(problem))</p>" }
    if let image = photo.image {
      out += try photoWithBoxes(image, faces: photo.faces)
    }
    for face in photo.faces { out += try card(face) }
    return out + "</section>"
  }

  /// The photo with each face's box, number and landmarks drawn over it in SVG.
  private func photoWithBoxes(_ image: AGFASImage.Image, faces: [LivenessCheck.Face]) throws -> String {
    let (w, h) = (image.width, image.height)
    var svg = """
      <svg class="overview" viewBox="0 0 \(w) \(h)" width="\(min(w, 720))" role="img" \
      aria-label="the photo with the faces found"><image href="\(try ReportGraphics.dataURL(image))" \
      x="0" y="0" width="\(w)" height="\(h)"/>
      """
    let stroke = max(2.0, Double(max(w, h)) / 300)
    for face in faces {
      let b = face.detection.box
      svg += """
        <rect x="\(b.x1)" y="\(b.y1)" width="\(b.x2 - b.x1)" height="\(b.y2 - b.y1)" fill="none" \
        stroke="#19d3ff" stroke-width="\(stroke)"/>\
        <text x="\(b.x1)" y="\(Double(b.y1) - stroke * 2)" font-size="\(stroke * 8)" fill="#19d3ff">\(face.index)</text>
        """
      for p in face.detection.landmarks {
        svg += "<circle cx=\"\(p.x)\" cy=\"\(p.y)\" r=\"\(stroke * 1.5)\" fill=\"#ffd319\"/>"
      }
    }
    return svg + "</svg>"
  }

  private func card(_ face: LivenessCheck.Face) throws -> String {
    let s = face.cue.statistics
    let verdict: String
    if let p = face.prediction {
      verdict = """
        <p class="score \(p.label)">P(live) = \(String(format: "%.3f", p.pLive)) → <b>\(p.label)</b> \
        (threshold \(String(format: "%.2f", p.threshold)))</p>
        """
    } else {
      verdict = "<p class=\"score none\">no verdict (no trained OA-Net given)</p>"
    }
    func figure(_ image: AGFASImage.Image, _ caption: String) throws -> String {
      "<figure><img src=\"\(try ReportGraphics.dataURL(image))\" alt=\"\(caption)\" width=\"256\"/>"
        + "<figcaption>\(caption)</figcaption></figure>"
    }
    return """
      <div class="face"><h3>face \(face.index) <small>(detector score \(String(format: "%.3f", face.detection.score)))</small></h3>\
      \(verdict)<div class="row">\(try figure(face.aligned, "aligned face"))\
      \(try figure(face.reconstruction, "DFG reconstruction"))\
      <figure>\(try figure(face.cue.heatMap(), "anomalous cue"))\(Self.cueScale())</figure></div>\
      <table class="stats"><tr><th>mean |residual|</th><th>RMS</th><th>95th percentile</th><th>max</th></tr>\
      <tr><td>\(fmt(s.meanAbs))</td><td>\(fmt(s.rms))</td><td>\(fmt(s.p95))</td><td>\(fmt(s.max))</td></tr></table></div>
      """
  }

  private func fmt(_ v: Double) -> String { String(format: "%.2f", v) }

  static let css = """
    body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
    .about { color: #666; font-size: 0.9em; }
    .notice { background: #fff6d8; border-left: 4px solid #e0b000; padding: 0.6em 1em; }
    .problem { color: #b00020; }
    .photo { border-top: 1px solid #ddd; margin-top: 1.5em; }
    .overview { max-width: 100%; height: auto; display: block; }
    .face { margin: 1em 0 2em; }
    .row { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
    figure { margin: 0; }
    figure figure { display: block; }
    figcaption { text-align: center; font-size: 0.9em; color: #444; }
    img { image-rendering: auto; border: 1px solid #ccc; }
    .score { font-size: 1.3em; margin: 0.3em 0; }
    .score.live b { color: #107a2c; } .score.spoof b { color: #b00020; } .score.none { color: #666; }
    .scale text { font-size: 11px; fill: #333; }
    table.stats { border-collapse: collapse; margin-top: 0.5em; }
    table.stats td, table.stats th { border: 1px solid #ccc; padding: 0.2em 0.8em; text-align: right; font-size: 0.9em; }
    """

  /// The heat map's colour scale as an SVG bar with ticks in grey levels.
  static func cueScale(width: Int = 256) -> String {
    let stops = stride(from: 0.0, through: 1.0, by: 0.125).map { t -> String in
      let (r, g, b) = CueMap.colour(t)
      return "<stop offset=\"\(t)\" stop-color=\"rgb(\(r),\(g),\(b))\"/>"
    }.joined()
    let ticks = stride(from: 0.0, through: CueMap.scaleMax, by: CueMap.scaleMax / 4).map { v -> String in
      let x = 8 + (Double(width) - 16) * v / CueMap.scaleMax
      let label = v == CueMap.scaleMax ? "\(Int(v))+" : "\(Int(v))"
      return "<line x1=\"\(x)\" y1=\"22\" x2=\"\(x)\" y2=\"27\" stroke=\"#444\"/>"
        + "<text x=\"\(x)\" y=\"40\" text-anchor=\"middle\">\(label)</text>"
    }.joined()
    return """
      <svg class="scale" width="\(width)" height="58" viewBox="0 0 \(width) 58" role="img" \
      aria-label="colour scale of |face - reconstruction|, 0 to \(Int(CueMap.scaleMax))+ grey levels">\
      <defs><linearGradient id="cue-scale">\(stops)</linearGradient></defs>\
      <rect x="8" y="4" width="\(width - 16)" height="18" fill="url(#cue-scale)" stroke="#444"/>\(ticks)\
      <text x="\(width / 2)" y="55" text-anchor="middle">|face − reconstruction|, grey levels</text></svg>
      """
  }
}
