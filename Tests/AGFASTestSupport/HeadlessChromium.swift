import AGFASImage
import Foundation

/// Renders an HTML page in headless Chromium (Debian's `chromium`, installed by
/// `scripts/setup.sh --tests`) as a person would see it, for tests of the HTML reports.
public enum HeadlessChromium {
  public enum Failure: Error, CustomStringConvertible {
    case missing(String)
    case failed(String)
    public var description: String {
      switch self {
      case .missing(let m), .failed(let m): m
      }
    }
  }

  public static var executable: String {
    ProcessInfo.processInfo.environment["AGFAS_CHROMIUM"] ?? "/usr/bin/chromium"
  }

  /// A screenshot of `page` at the given window size.
  public static func screenshot(_ page: String, width: Int = 1200, height: Int = 1600) throws -> Image {
    let shot = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-shot-\(UUID().uuidString).png")
    defer { try? FileManager.default.removeItem(at: shot) }
    _ = try run([
      "--window-size=\(width),\(height)", "--screenshot=\(shot.path)", URL(fileURLWithPath: page).absoluteString,
    ])
    return try Image(contentsOfFile: shot.path)
  }

  /// How many of the page's `<img>` and SVG `<image>` elements decoded to a picture, and how
  /// many there are.
  public static func loadedImages(_ page: String) throws -> (loaded: Int, total: Int) {
    let counts = try probe(
      page,
      """
      (() => { const imgs = [...document.images], svgImages = [...document.querySelectorAll('svg image')];
        return (imgs.filter(i => i.complete && i.naturalWidth > 0).length
          + svgImages.filter(i => i.getBBox().width > 0).length) + ' ' + (imgs.length + svgImages.length); })()
      """
    ).split(separator: " ").compactMap { Int($0) }
    return (counts[0], counts[1])
  }

  /// The value of a JavaScript expression once the page has loaded: a copy of the page gets a
  /// script that evaluates it and puts the result into the DOM Chromium dumps.
  public static func probe(_ page: String, _ expression: String) throws -> String {
    let copy = URL(fileURLWithPath: page).deletingLastPathComponent()
      .appendingPathComponent(".agfas-probe-\(UUID().uuidString).html")
    defer { try? FileManager.default.removeItem(at: copy) }
    let script = """
      <script>window.addEventListener('load', () => {
        document.body.setAttribute('data-probe', '[' + String(\(expression)) + ']');
      });</script>
      """
    try (String(contentsOfFile: page, encoding: .utf8) + script).write(to: copy, atomically: true, encoding: .utf8)
    let dom = try run(["--virtual-time-budget=5000", "--dump-dom", copy.absoluteString])
    guard let start = dom.range(of: "data-probe=\"["),
      let end = dom.range(of: "]\"", range: start.upperBound..<dom.endIndex)
    else {
      throw Failure.failed("the page did not finish loading in Chromium")
    }
    return String(dom[start.upperBound..<end.lowerBound])
  }

  /// The share of a screenshot's pixels that are colourful (saturation above 0.25, not near
  /// white or black): photos and heat maps have many, text and rules on white almost none.
  public static func colourfulShare(_ image: Image) -> Double {
    let rgb = image.rgb()
    var count = 0
    for i in 0..<(rgb.width * rgb.height) {
      let r = Double(rgb.pixels[i * 3])
      let g = Double(rgb.pixels[i * 3 + 1])
      let b = Double(rgb.pixels[i * 3 + 2])
      let hi = max(r, g, b)
      let lo = min(r, g, b)
      if hi > 30, hi < 250, (hi - lo) / hi > 0.25 { count += 1 }
    }
    return Double(count) / Double(max(rgb.width * rgb.height, 1))
  }

  @discardableResult
  static func run(_ args: [String]) throws -> String {
    guard FileManager.default.isExecutableFile(atPath: executable) else {
      throw Failure.missing(
        "\(executable) not found: install Chromium (scripts/setup.sh --tests) or set AGFAS_CHROMIUM")
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"] + args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw Failure.failed("chromium exited with \(p.terminationStatus)") }
    return String(decoding: data, as: UTF8.self)
  }
}
