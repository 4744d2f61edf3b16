import AGFASImage

/// An sRGB colour.
struct Color: Equatable {
  var r: UInt8
  var g: UInt8
  var b: UInt8

  static let white = Color(r: 255, g: 255, b: 255)
  static let black = Color(r: 0, g: 0, b: 0)
}

/// A small RGB raster for plots: clipped rectangles, thick (optionally dashed) lines, discs
/// and pixel-font text. Coordinates are pixels, (0, 0) top left; anything outside is dropped.
struct Canvas {
  let width: Int
  let height: Int
  private(set) var pixels: [UInt8]

  init(width: Int, height: Int, background: Color) {
    self.width = width
    self.height = height
    pixels = [UInt8](repeating: 0, count: width * height * 3)
    fill(x: 0, y: 0, width: width, height: height, background)
  }

  /// Paints the rectangle [x, x + width) x [y, y + height), clipped to the canvas.
  mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ color: Color) {
    let (x0, y0) = (max(x, 0), max(y, 0))
    let (x1, y1) = (min(x + w, width), min(y + h, height))
    guard x0 < x1, y0 < y1 else { return }
    for row in y0..<y1 {
      for column in x0..<x1 {
        let i = (row * width + column) * 3
        pixels[i] = color.r
        pixels[i + 1] = color.g
        pixels[i + 2] = color.b
      }
    }
  }

  /// A line `thickness` pixels wide from `a` to `b` (square pen). With `dash` > 0 it is drawn
  /// `dash` pixels on, `dash` off, measured along the line.
  mutating func line(
    from a: (x: Double, y: Double), to b: (x: Double, y: Double), thickness: Int, _ color: Color, dash: Int = 0
  ) {
    let length = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
    // Half-pixel steps leave no gaps between pen stamps.
    let steps = max(1, Int((length * 2).rounded(.up)))
    for k in 0...steps {
      let t = Double(k) / Double(steps)
      if dash > 0 && Int(t * length) / dash % 2 == 1 { continue }
      stamp(x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t, size: thickness, color)
    }
  }

  /// A filled disc of `radius` pixels around (x, y).
  mutating func disc(x: Double, y: Double, radius: Int, _ color: Color) {
    let (cx, cy) = (Int(x.rounded()), Int(y.rounded()))
    for dy in -radius...radius {
      for dx in -radius...radius where dx * dx + dy * dy <= radius * radius {
        fill(x: cx + dx, y: cy + dy, width: 1, height: 1, color)
      }
    }
  }

  /// `text` in `PixelFont` with its top-left corner at (x, y), each font pixel `scale` wide.
  mutating func text(_ text: String, x: Int, y: Int, scale: Int, _ color: Color) {
    for (n, character) in text.enumerated() {
      guard let rows = PixelFont.glyph(character) else { continue }
      let left = x + n * (PixelFont.width + 1) * scale
      for (row, bits) in rows.enumerated() {
        for (column, bit) in bits.enumerated() where bit == "1" {
          fill(x: left + column * scale, y: y + row * scale, width: scale, height: scale, color)
        }
      }
    }
  }

  private mutating func stamp(x: Double, y: Double, size: Int, _ color: Color) {
    let left = Int((x - Double(size - 1) / 2).rounded())
    let top = Int((y - Double(size - 1) / 2).rounded())
    fill(x: left, y: top, width: size, height: size, color)
  }

  /// The canvas as an RGB image.
  func image() throws -> Image {
    try Image(width: width, height: height, channels: 3, pixels: pixels)
  }
}
