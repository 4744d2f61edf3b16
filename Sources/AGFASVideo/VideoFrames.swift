import AGFASImage
import CVideoShims
import Foundation

/// A video that could not be decoded; the message names the file and what failed.
public struct VideoError: Error, CustomStringConvertible, Equatable {
  public let path: String
  public let reason: String

  public var description: String { "\(path): \(reason)" }
}

/// Video frames as images, decoded by FFmpeg's libavformat/libavcodec (Debian's libav*).
public enum VideoFrames {
  /// File extensions treated as videos when folders are searched (case-insensitive).
  public static let extensions: Set<String> = [
    "mp4", "m4v", "mov", "avi", "mkv", "webm", "mpg", "mpeg", "wmv", "flv", "3gp", "mts",
  ]

  /// Decodes `path` and calls `body(index, frame)` for every `every`-th frame (0-based decode
  /// order) as RGB; `body` returns false to stop. Returns the number of frames handed out.
  ///
  /// Only `limits.maxPixels` bounds a frame. The pixels-per-byte rule of images does not
  /// apply: a frame has no data of its own whose size could bound it (inter frames are coded
  /// as differences, a whole video may be a few kilobytes a minute and still be genuine), and
  /// libavcodec allocates one frame at a time whatever the length of the video.
  @discardableResult
  public static func forEach(
    path: String, every: Int = 1, limits: ImageLimits = ImageLimits(), _ body: (Int, Image) throws -> Bool
  ) throws -> Int {
    guard FileManager.default.fileExists(atPath: path) else { throw VideoError(path: path, reason: "no such file") }
    guard every >= 1 else { throw VideoError(path: path, reason: "every must be at least 1, got \(every)") }
    return try withoutActuallyEscaping(body) { body in
      let sink = FrameSink(body)
      var message = [CChar](repeating: 0, count: 512)
      let status = withExtendedLifetime(sink) {
        agfas_video_decode(
          path, Int32(every), Int64(limits.maxPixels),
          { context, index, width, height, rgb, stride in
            let sink = Unmanaged<FrameSink>.fromOpaque(context!).takeUnretainedValue()
            return sink.accept(Int(index), Int(width), Int(height), rgb!, Int(stride)) ? 0 : 1
          }, Unmanaged.passUnretained(sink).toOpaque(), &message, Int32(message.count))
      }
      if let error = sink.error { throw error }
      if status < 0 { throw VideoError(path: path, reason: String(cString: message)) }
      return sink.count
    }
  }
}

/// Carries the Swift closure through the C callback and keeps what it threw.
private final class FrameSink {
  let body: (Int, Image) throws -> Bool
  var error: Error?
  var count = 0

  init(_ body: @escaping (Int, Image) throws -> Bool) { self.body = body }

  func accept(_ index: Int, _ width: Int, _ height: Int, _ rgb: UnsafePointer<UInt8>, _ stride: Int) -> Bool {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    pixels.withUnsafeMutableBufferPointer { dst in
      for y in 0..<height {
        (dst.baseAddress! + y * width * 3).update(from: rgb + y * stride, count: width * 3)
      }
    }
    do {
      count += 1
      return try body(index, Image(width: width, height: height, channels: 3, pixels: pixels))
    } catch {
      self.error = error
      return false
    }
  }
}
