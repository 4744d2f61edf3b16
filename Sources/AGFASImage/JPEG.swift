/// JPEG through libjpeg-turbo, decoding as Pillow does: baseline and progressive, grey
/// (1 channel), YCbCr/RGB (3 channels, libjpeg's default fancy upsampling and ISLOW IDCT, as
/// Pillow), and CMYK/YCCK converted to RGB with Pillow's formulas (Adobe's inverted samples,
/// then `convert("RGB")`). The EXIF Orientation tag is honoured unless `orient` is false, as
/// `ImageOps.exif_transpose` would. Data that ends before the EOI marker is an error (as Pillow).
public enum JPEG {
  /// Decodes JPEG bytes; `source` names them in errors.
  public static func decode(
    _ bytes: [UInt8], source: String = "<memory>", limits: ImageLimits = ImageLimits(), orient: Bool = true
  ) throws -> Image {
    try bytes.withUnsafeBytes { try decode($0, source: source, limits: limits, orient: orient) }
  }

  static func decode(_ bytes: UnsafeRawBufferPointer, source: String, limits: ImageLimits, orient: Bool = true)
    throws -> Image
  {
    let d = try NativeDecoder.jpeg.decode(bytes, source: source, limits: limits)
    let image =
      d.channels == 4
      ? try rgb(fromAdobeCMYK: d)
      : try Image(width: d.width, height: d.height, channels: d.channels, pixels: d.samples)
    guard orient, let orientation = ExifReader.orientation(jpeg: bytes) else { return image }
    return orientation.apply(to: image)
  }

  /// Pillow reads CMYK JPEG samples as inverted (Adobe's convention, rawmode "CMYK;I") and
  /// converts CMYK to RGB as `(255 - K) - C * (255 - K) / 255` with its integer rounding
  /// (`muldiv255`). With C = 255 - sample that is, per channel, `sk - muldiv255(255 - sc, sk)`.
  private static func rgb(fromAdobeCMYK d: DecodedPixels) throws -> Image {
    try Image(width: d.width, height: d.height, channels: 3) { out in
      d.samples.withUnsafeBufferPointer { cmyk in
        for p in 0..<(d.width * d.height) {
          let k = Int(cmyk[p * 4 + 3])
          for c in 0..<3 {
            let t = (255 - Int(cmyk[p * 4 + c])) * k + 128
            out[p * 3 + c] = UInt8(clamping: k - ((t >> 8) + t) >> 8)
          }
        }
      }
    }
  }
}
