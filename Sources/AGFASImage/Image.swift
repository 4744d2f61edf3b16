/// An 8-bit image: `height` rows of `width` pixels of `channels` interleaved samples
/// (1 grey, 3 RGB, 4 RGBA with straight, not premultiplied, alpha), top row first.
public struct Image: Equatable, Sendable {
  public let width: Int
  public let height: Int
  public let channels: Int
  /// Samples in row-major order: pixel (x, y) channel c is at `(y * width + x) * channels + c`.
  public private(set) var pixels: [UInt8]

  /// Wraps pixels; throws `.invalidImage` unless `pixels` holds exactly width x height x
  /// channels samples and channels is 1, 3 or 4.
  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
    let count = try Image.sampleCount(width: width, height: height, channels: channels)
    guard pixels.count == count else {
      throw ImageError.invalidImage(
        reason: "\(pixels.count) samples do not fill \(width)x\(height)x\(channels) (\(count) needed)")
    }
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  /// An image with every sample set to `value`.
  public init(width: Int, height: Int, channels: Int, value: UInt8 = 0) throws {
    let count = try Image.sampleCount(width: width, height: height, channels: channels)
    try self.init(width: width, height: height, channels: channels, pixels: [UInt8](repeating: value, count: count))
  }

  /// Builds an image whose pixels `fill` writes (all `count` samples) without zeroing first.
  init(
    width: Int, height: Int, channels: Int, fill: (UnsafeMutableBufferPointer<UInt8>) throws -> Void
  ) throws {
    let count = try Image.sampleCount(width: width, height: height, channels: channels)
    let pixels = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      try fill(buffer)
      initialized = count
    }
    try self.init(width: width, height: height, channels: channels, pixels: pixels)
  }

  static func sampleCount(width: Int, height: Int, channels: Int) throws -> Int {
    guard [1, 3, 4].contains(channels) else {
      throw ImageError.invalidImage(reason: "\(channels) channels (1 grey, 3 RGB or 4 RGBA expected)")
    }
    let pixels = width.multipliedReportingOverflow(by: height)
    let samples = pixels.partialValue.multipliedReportingOverflow(by: channels)
    guard width >= 0, height >= 0, !pixels.overflow, !samples.overflow else {
      throw ImageError.invalidImage(reason: "size \(width)x\(height)x\(channels) out of range")
    }
    return samples.partialValue
  }

  /// Sample `channel` of pixel (x, y); coordinates must be in range.
  public subscript(x x: Int, y y: Int, channel channel: Int) -> UInt8 {
    get { pixels[(y * width + x) * channels + channel] }
    set { pixels[(y * width + x) * channels + channel] = newValue }
  }

  /// True for RGBA.
  public var hasAlpha: Bool { channels == 4 }

  /// The sample that feeds R, G and B: grey's one sample three times, RGB(A)'s first three.
  var rgbSources: [Int] { channels == 1 ? [0, 0, 0] : [0, 1, 2] }

  /// This image as RGB, as Pillow's `convert("RGB")`: grey is replicated into R, G and B, and
  /// alpha is dropped, not composited over a background (a transparent pixel keeps its colour).
  public func rgb() -> Image {
    if channels == 3 { return self }
    let (source, offsets) = (channels, rgbSources)
    return try! Image(width: width, height: height, channels: 3) { out in
      pixels.withUnsafeBufferPointer { src in
        for p in 0..<(width * height) {
          for c in 0..<3 { out[p * 3 + c] = src[p * source + offsets[c]] }
        }
      }
    }
  }
}
