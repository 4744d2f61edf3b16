import Foundation

#if canImport(Glibc)
  import Glibc
  private let systemWrite = Glibc.write
#elseif canImport(Darwin)
  import Darwin
  private let systemWrite = Darwin.write
#endif

/// Whole-file writes that never leave a partial file behind: the bytes go to a hidden
/// temporary file in the destination's folder (same file system, so the rename is atomic),
/// are flushed to disk, and the file is renamed over the destination. Readers see the old
/// file or the new one; a crash leaves at most a stray `.<name>.*.tmp`.
public enum AtomicFile {
  /// Writes `bytes` to `path`, replacing any file there. The folder must exist.
  public static func write(_ bytes: [UInt8], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    let temporary = "\(folder)/.\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    func failure(_ what: String) -> ImageError {
      .writeFailed(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
    }
    // 0o666 before the umask, as for any new file (mkstemp's 0600 would hide outputs from others).
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else { throw failure("cannot create a temporary file in \(folder)") }
    var done = false
    defer {
      if !done { unlink(temporary) }
    }
    let written = bytes.withUnsafeBytes { writeAll(fd, $0) }
    let error = !written ? failure("write failed") : fsync(fd) != 0 ? failure("fsync failed") : nil
    close(fd)
    if let error { throw error }
    guard rename(temporary, path) == 0 else { throw failure("rename failed") }
    done = true
  }

  /// Writes every byte, retrying short writes and interrupted calls.
  private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return false }
      offset += n
    }
    return true
  }
}
