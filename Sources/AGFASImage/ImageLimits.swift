/// Limits applied while decoding, against decompression bombs: a small file whose header
/// declares a huge image.
public struct ImageLimits: Sendable, Equatable {
  /// 64 megapixels: far above any camera frame AG-FAS sees, far below what exhausts memory.
  public static let defaultMaxPixels = 64_000_000

  /// Largest width x height accepted.
  public var maxPixels: Int

  public init(maxPixels: Int = ImageLimits.defaultMaxPixels) {
    self.maxPixels = maxPixels
  }

  /// Throws `.tooLarge` unless width x height is within `maxPixels`.
  func check(width: Int, height: Int, source: String) throws {
    let pixels = width.multipliedReportingOverflow(by: height)
    guard !pixels.overflow, pixels.partialValue <= maxPixels else {
      throw ImageError.tooLarge(source: source, width: width, height: height, limit: maxPixels)
    }
  }
}
