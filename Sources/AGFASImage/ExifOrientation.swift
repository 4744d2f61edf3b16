/// The EXIF Orientation tag (0x0112): how the stored pixels must be turned to display upright.
/// Cases are named by the transform that makes the image upright, as Pillow's
/// `ImageOps.exif_transpose` applies it.
public enum ExifOrientation: Int, Sendable, CaseIterable {
  /// 1: already upright.
  case up = 1
  /// 2: mirror left-right.
  case flipLeftRight = 2
  /// 3: rotate 180 degrees.
  case rotate180 = 3
  /// 4: mirror top-bottom.
  case flipTopBottom = 4
  /// 5: transpose (mirror across the main diagonal).
  case transpose = 5
  /// 6: rotate 90 degrees clockwise (Pillow's ROTATE_270).
  case rotateClockwise = 6
  /// 7: transverse (mirror across the anti-diagonal).
  case transverse = 7
  /// 8: rotate 90 degrees counter-clockwise (Pillow's ROTATE_90).
  case rotateCounterClockwise = 8

  /// True when the upright image has width and height swapped.
  public var swapsAxes: Bool { rawValue >= 5 }

  /// Output pixel (x, y) reads source pixel (sx, sy) = (a x + b y + c, d x + e y + f), with
  /// c and f multiples of the last column/row: (a, b, cLast, d, e, fLast).
  private var sourceMap: (Int, Int, Int, Int, Int, Int) {
    switch self {
    case .up: return (1, 0, 0, 0, 1, 0)
    case .flipLeftRight: return (-1, 0, 1, 0, 1, 0)
    case .rotate180: return (-1, 0, 1, 0, -1, 1)
    case .flipTopBottom: return (1, 0, 0, 0, -1, 1)
    case .transpose: return (0, 1, 0, 1, 0, 0)
    case .rotateClockwise: return (0, 1, 0, -1, 0, 1)
    case .transverse: return (0, -1, 1, -1, 0, 1)
    case .rotateCounterClockwise: return (0, -1, 1, 1, 0, 0)
    }
  }

  /// `image` turned upright.
  public func apply(to image: Image) -> Image {
    if self == .up { return image }
    let (a, b, cLast, d, e, fLast) = sourceMap
    let (w, h, channels) = (image.width, image.height, image.channels)
    let (outWidth, outHeight) = swapsAxes ? (h, w) : (w, h)
    // Source pixel index = stepX * x + stepY * y + origin, so each output row is one strided walk.
    let stepX = d * w + a
    let stepY = e * w + b
    let origin = fLast * (h - 1) * w + cLast * (w - 1)
    return try! Image(width: outWidth, height: outHeight, channels: channels) { out in
      image.pixels.withUnsafeBufferPointer { src in
        var o = 0
        for y in 0..<outHeight {
          var s = origin + stepY * y
          for _ in 0..<outWidth {
            for c in 0..<channels { out[o + c] = src[s * channels + c] }
            o += channels
            s += stepX
          }
        }
      }
    }
  }
}
