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
    case .invalidImage(let reason):
      return "invalid image: \(reason)"
    case .writeFailed(let path, let reason):
      return "cannot write \(path): \(reason)"
    }
  }

  public var errorDescription: String? { description }
}
