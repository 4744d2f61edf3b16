import AGFASImage
import Foundation

/// Small pieces of the HTML reports: images inlined as data URLs, escaping, and the page's
/// shared style. Charts are SVG drawn with the browser's own fonts (no image of text).
public enum ReportGraphics {
  /// A PNG data URL of `image`, shrunk (by whole-pixel averaging) to at most `maxSide` pixels
  /// on its longer side so a camera photo does not swell the page.
  public static func dataURL(_ image: Image, maxSide: Int = 1024) throws -> String {
    let shown = try shrunk(image.rgb(), maxSide: maxSide)
    return "data:image/png;base64," + Data(try shown.pngData()).base64EncodedString()
  }

  /// The factor a photo is shrunk by for display (1 when it fits).
  public static func shrinkFactor(width: Int, height: Int, maxSide: Int) -> Int {
    Swift.max(1, (Swift.max(width, height) + maxSide - 1) / maxSide)
  }

  static func shrunk(_ image: Image, maxSide: Int) throws -> Image {
    let f = shrinkFactor(width: image.width, height: image.height, maxSide: maxSide)
    guard f > 1 else { return image }
    let (w, h) = (image.width / f, image.height / f)
    var pixels = [UInt8](repeating: 0, count: w * h * 3)
    for y in 0..<h {
      for x in 0..<w {
        for c in 0..<3 {
          var sum = 0
          for dy in 0..<f { for dx in 0..<f { sum += Int(image[x: x * f + dx, y: y * f + dy, channel: c]) } }
          pixels[(y * w + x) * 3 + c] = UInt8((sum + f * f / 2) / (f * f))
        }
      }
    }
    return try Image(width: w, height: h, channels: 3, pixels: pixels)
  }

  /// Escapes text for HTML and SVG.
  public static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}
