/// Limits applied while decoding, against decompression bombs: a small file whose header
/// declares a huge image.
///
/// Two rules, both checked from the header before any pixel memory exists:
/// - width x height is at most `maxPixels`, whatever the file;
/// - above `freePixels`, width x height is at most `maxPixelsPerByte` times the size of the
///   encoded data. Photos hold 0.5 to 5 pixels per byte of PNG or JPEG; only flat, synthetic
///   images compress further (deflate reaches about 1000:1), so a 186 KB PNG claiming
///   8000x8000 pixels (about 350 per byte) is refused instead of costing gigabytes.
public struct ImageLimits: Sendable, Equatable {
  /// 64 megapixels: far above any camera frame AG-FAS sees, far below what exhausts memory.
  public static let defaultMaxPixels = 64_000_000
  /// 4096 x 4096: images up to this decode whatever their file size.
  public static let defaultFreePixels = 4096 * 4096
  /// Pixels allowed per byte of encoded data above `freePixels`: over ten times what photos
  /// reach, far below what a decompression bomb needs.
  public static let defaultMaxPixelsPerByte = 64

  /// Largest width x height accepted.
  public var maxPixels: Int
  /// Width x height up to which the size of the data is not looked at.
  public var freePixels: Int
  /// Above `freePixels`, width x height may be at most this times the byte count of the
  /// encoded data; 0 turns the rule off (only `maxPixels` applies).
  public var maxPixelsPerByte: Int

  public init(
    maxPixels: Int = ImageLimits.defaultMaxPixels, maxPixelsPerByte: Int = ImageLimits.defaultMaxPixelsPerByte,
    freePixels: Int = ImageLimits.defaultFreePixels
  ) {
    self.maxPixels = maxPixels
    self.maxPixelsPerByte = maxPixelsPerByte
    self.freePixels = freePixels
  }

  /// Throws `.tooLarge` unless width x height is within `maxPixels`, then, when the size of
  /// the encoded data is known (`byteCount`), `.tooLargeForData` unless the image is within
  /// `freePixels` or `maxPixelsPerByte` pixels per byte of it.
  func check(width: Int, height: Int, byteCount: Int?, source: String) throws {
    let pixels = width.multipliedReportingOverflow(by: height)
    guard !pixels.overflow, pixels.partialValue <= maxPixels else {
      throw ImageError.tooLarge(source: source, width: width, height: height, limit: maxPixels)
    }
    guard let byteCount, maxPixelsPerByte > 0, pixels.partialValue > freePixels else { return }
    let allowed = byteCount.multipliedReportingOverflow(by: maxPixelsPerByte)
    guard allowed.overflow || pixels.partialValue <= allowed.partialValue else {
      throw ImageError.tooLargeForData(
        source: source, width: width, height: height, bytes: byteCount, pixelsPerByte: maxPixelsPerByte,
        freePixels: freePixels)
    }
  }
}
