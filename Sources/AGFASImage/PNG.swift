import CImageShims

/// PNG through libpng, decoding as Pillow does.
///
/// Decode: every colour type and bit depth, interlaced or not. Grey stays grey (1 channel),
/// RGB stays RGB, RGBA stays RGBA; grey+alpha becomes RGBA (grey replicated) since `Image`
/// has no two-channel layout; a palette becomes RGB, or RGBA when it has transparency (tRNS).
/// 16-bit samples keep their high byte (`v >> 8`), which is what Pillow's 16-bit RGB(A)/LA
/// unpackers do. 1/2/4-bit grey scales to 0...255 (x255, x85, x17). tRNS on grey or RGB
/// images and gAMA/sRGB/iCCP chunks are ignored, as Pillow ignores them when decoding.
/// Chunks after the image data (IEND included) are not read, so a file missing only those
/// decodes, as in Pillow; data cut earlier, or a bad CRC on a critical chunk, is an error.
public enum PNG {
  /// Decodes PNG bytes; `source` names them in errors.
  public static func decode(_ bytes: [UInt8], source: String = "<memory>", limits: ImageLimits = ImageLimits())
    throws -> Image
  {
    try bytes.withUnsafeBytes { try decode($0, source: source, limits: limits) }
  }

  static func decode(_ bytes: UnsafeRawBufferPointer, source: String, limits: ImageLimits) throws -> Image {
    let d = try NativeDecoder.png.decode(bytes, source: source, limits: limits)
    return try Image(width: d.width, height: d.height, channels: d.channels, pixels: d.samples)
  }

  /// The image as a non-interlaced 8-bit PNG (grey, RGB or RGBA as the image is).
  public static func encode(_ image: Image) throws -> [UInt8] {
    guard let width = UInt32(exactly: image.width), let height = UInt32(exactly: image.height),
      width > 0, height > 0, width <= 0x7FFF_FFFF, height <= 0x7FFF_FFFF
    else {
      throw ImageError.invalidImage(reason: "PNG cannot hold a \(image.width)x\(image.height) image")
    }
    var message = [CChar](repeating: 0, count: 256)
    var out: UnsafeMutablePointer<UInt8>?
    var size = 0
    let status = image.pixels.withUnsafeBufferPointer { px in
      agfas_png_encode(px.baseAddress, width, height, Int32(image.channels), &out, &size, &message, message.count)
    }
    guard status == 0, let out else {
      throw ImageError.invalidImage(reason: "PNG encoding failed: \(cMessage(message))")
    }
    defer { agfas_free(out) }
    return Array(UnsafeBufferPointer(start: out, count: size))
  }

  /// Encodes `image` and writes it to `path` atomically: a crash or a full disk never leaves a
  /// half-written PNG there (see `AtomicFile`).
  public static func write(_ image: Image, to path: String) throws {
    try AtomicFile.write(try encode(image), to: path)
  }
}

extension Image {
  /// This image as PNG bytes.
  public func pngData() throws -> [UInt8] { try PNG.encode(self) }

  /// Writes this image as a PNG to `path`, atomically.
  public func writePNG(to path: String) throws { try PNG.write(self, to: path) }
}
