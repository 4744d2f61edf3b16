#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The bytes the system knows a path by, for paths whose names are not UTF-8.
///
/// Swift decodes `argv` into `String`s, replacing bytes that are not UTF-8 with U+FFFD, so a
/// file named `caf\xE9.pt` reaches us as `caf\u{FFFD}.pt`, a name that does not exist. When a
/// path holds U+FFFD and starts with a command-line argument that was decoded that way, the
/// argument's original bytes are put back, so the file the user named is the one opened
/// (directly, or inside a model folder named that way) instead of being called missing.
enum SystemPath {
  /// The NUL-terminated bytes to hand to `open`/`stat` for `path`.
  static func bytes(_ path: String, arguments: @autoclosure () -> [[UInt8]] = commandLine()) -> [CChar] {
    guard path.unicodeScalars.contains("\u{FFFD}"), let raw = original(path, arguments: arguments()) else {
      return Array(path.utf8CString)
    }
    return raw.map { CChar(bitPattern: $0) } + [0]
  }

  /// `path` with its longest prefix that is a repaired argument replaced by the argument's
  /// raw bytes; nil when no argument that is not UTF-8 explains the U+FFFD.
  static func original(_ path: String, arguments: [[UInt8]]) -> [UInt8]? {
    var best: (decodedCount: Int, raw: [UInt8])?
    for raw in arguments where String(validating: raw, as: UTF8.self) == nil {
      let decoded = String(decoding: raw, as: UTF8.self)
      guard path.utf8.starts(with: decoded.utf8), decoded.utf8.count > (best?.decodedCount ?? 0) else { continue }
      best = (decoded.utf8.count, raw)
    }
    guard let best else { return nil }
    return best.raw + Array(path.utf8.dropFirst(best.decodedCount))
  }

  /// This process's arguments as the bytes it was given.
  static func commandLine() -> [[UInt8]] {
    (0..<Int(CommandLine.argc)).compactMap { i in
      CommandLine.unsafeArgv[i].map { arg in
        Array(UnsafeBufferPointer(start: UnsafeRawPointer(arg).assumingMemoryBound(to: UInt8.self), count: strlen(arg)))
      }
    }
  }
}
