import AGFASEngine
import AGFASImage

/// A summed-area table of an RGB image, so that any window's sum costs four reads: MTCNN
/// resizes the same image a dozen times for its pyramid and again for every candidate crop.
///
/// torch's `area` resize (adaptive average pooling) sums a window's pixels in fp32 and then
/// divides by its height and its width. For 8-bit pixels every partial sum is an integer, so
/// that fp32 sum is exact while it stays below 2^24 (windows up to 65,793 pixels, i.e. up to
/// a ~256x smaller output), and the integer sum here gives bit-identical values. Beyond that
/// both are within an fp32 rounding of each other. Sums are UInt32 with wrapping arithmetic:
/// window differences are exact modulo 2^32 whatever the image size.
struct IntegralImage {
  let width: Int
  let height: Int
  /// (height + 1) x (width + 1) x 3; entry (y, x, c) sums rows < y and columns < x.
  private let sums: [UInt32]

  init(_ image: Image) {
    precondition(image.channels == 3, "IntegralImage needs RGB")
    let (w, h) = (image.width, image.height)
    let stride = (w + 1) * 3
    var table = [UInt32](repeating: 0, count: (h + 1) * stride)
    image.pixels.withUnsafeBufferPointer { px in
      table.withUnsafeMutableBufferPointer { s in
        for y in 0..<h {
          var row: (UInt32, UInt32, UInt32) = (0, 0, 0)
          let (above, here) = (y * stride, (y + 1) * stride)
          for x in 0..<w {
            let p = (y * w + x) * 3
            row.0 &+= UInt32(px[p])
            row.1 &+= UInt32(px[p + 1])
            row.2 &+= UInt32(px[p + 2])
            let o = (x + 1) * 3
            s[here + o] = s[above + o] &+ row.0
            s[here + o + 1] = s[above + o + 1] &+ row.1
            s[here + o + 2] = s[above + o + 2] &+ row.2
          }
        }
      }
    }
    (width, height, sums) = (w, h, table)
  }

  /// The region `x` x `y` resized to `size.height` x `size.width` as torch's `area` mode does,
  /// then scaled by MTCNN's `(v - 127.5) * 0.0078125`, written as interleaved RGB rows
  /// (channels-last) at `out`.
  func resampleNormalized(x: Range<Int>, y: Range<Int>, height: Int, width: Int, into out: UnsafeMutablePointer<Float>)
  {
    let rows = Self.windows(y, output: height)
    let cols = Self.windows(x, output: width)
    let stride = (self.width + 1) * 3
    sums.withUnsafeBufferPointer { s in
      var o = 0
      for r in rows {
        let (top, bottom) = (r.lowerBound * stride, r.upperBound * stride)
        let kh = Float(r.count)
        for c in cols {
          let kw = Float(c.count)
          let (left, right) = (c.lowerBound * 3, c.upperBound * 3)
          for ch in 0..<3 {
            let sum = s[bottom + right + ch] &- s[top + right + ch] &- s[bottom + left + ch] &+ s[top + left + ch]
            out[o] = (Float(sum) / kh / kw - 127.5) * 0.0078125
            o += 1
          }
        }
      }
    }
  }

  /// The resized, normalised region as a [1,3,height,width] channels-last tensor.
  func resampledNormalized(x: Range<Int>, y: Range<Int>, height: Int, width: Int) -> Tensor {
    let t = Tensor.empty([1, 3, height, width], layout: .channelsLast)
    withExtendedLifetime(t) {
      resampleNormalized(x: x, y: y, height: height, width: width, into: t.floats().baseAddress!)
    }
    return t
  }

  /// torch's adaptive-pooling windows of `range` for `output` cells: cell o covers
  /// [floor(o n / m), ceil((o + 1) n / m)) of the n inputs, offset by the range's start.
  static func windows(_ range: Range<Int>, output m: Int) -> [Range<Int>] {
    let (n, base) = (range.count, range.lowerBound)
    return (0..<m).map { o in (base + o * n / m)..<(base + ((o + 1) * n + m - 1) / m) }
  }
}
