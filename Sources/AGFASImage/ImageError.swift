import Foundation

/// Why an image could not be read, decoded, built or written. Each message names the file
/// (or "<memory>" for bytes) and what was wrong with it.
public enum ImageError: Error, Equatable, LocalizedError, CustomStringConvertible {
  /// No file at `path`.
  case fileNotFound(path: String)
  /// The file exists but could not be read (a folder, no permission, I/O error).
  case unreadable(path: String, reason: String)
  /// The bytes are neither PNG nor JPEG; `detected` names the format the magic bytes suggest.
  case unsupportedFormat(source: String, detected: String)
  /// The PNG or JPEG data is damaged or cut short; `reason` is the decoder's message.
  case corrupt(source: String, format: String, reason: String)
  /// The header declares more pixels than the limit; raised before any pixel memory exists.
  case tooLarge(source: String, width: Int, height: Int, limit: Int)
  /// Above `freePixels`, the header declares more than `pixelsPerByte` pixels per byte of the
  /// `bytes` of encoded data (a decompression bomb's signature); raised before any pixel memory
  /// exists.
  case tooLargeForData(source: String, width: Int, height: Int, bytes: Int, pixelsPerByte: Int, freePixels: Int)
  /// Pixels that do not fit the declared size, or a size or channel count out of range.
  case invalidImage(reason: String)
  /// Writing `path` failed; nothing was left at `path` (the write is atomic).
  case writeFailed(path: String, reason: String)

  public var description: String {
    switch self {
    case .fileNotFound(let path):
      return "image file not found: \(path)"
    case .unreadable(let path, let reason):
      return "cannot read image file \(path): \(reason)"
    case .unsupportedFormat(let source, let detected):
      return "\(source): unsupported image format (\(detected)); AGFAS reads PNG and JPEG"
    case .corrupt(let source, let format, let reason):
      return "\(source): corrupt or truncated \(format) data: \(reason)"
    case .tooLarge(let source, let width, let height, let limit):
      let pixels = width.multipliedReportingOverflow(by: height)
      let count = pixels.overflow ? "more than \(Int.max)" : "\(pixels.partialValue)"
      return
        "\(source): image is \(width)x\(height) (\(count) pixels), over the limit of \(limit) pixels"
        + " (raise it with --max-pixels to accept the image)"
    case .tooLargeForData(let source, let width, let height, let bytes, let pixelsPerByte, let freePixels):
      let pixels = Double(width) * Double(height)
      let ratio = pixels / Double(max(bytes, 1))
      return
        "\(source): image is \(width)x\(height) (\(String(format: "%.0f", pixels)) pixels) but its data is only "
        + "\(bytes) bytes (\(Self.megabytes(bytes))): \(String(format: "%.0f", ratio)) pixels per byte; above "
        + "\(freePixels) pixels at most \(pixelsPerByte) pixels per byte are accepted (photos hold 0.5 to 5; more is "
        + "the mark of a decompression bomb); raise the ratio with --max-pixels-per-byte (0 turns this rule off) to "
        + "accept the image"
    case .invalidImage(let reason):
      return "invalid image: \(reason)"
    case .writeFailed(let path, let reason):
      return "cannot write \(path): \(reason)"
    }
  }

  public var errorDescription: String? { description }

  /// A byte count in KB or MB, for messages.
  static func megabytes(_ bytes: Int) -> String {
    bytes < 1_000_000
      ? String(format: "%.1f KB", Double(bytes) / 1000) : String(format: "%.1f MB", Double(bytes) / 1_000_000)
  }
}
