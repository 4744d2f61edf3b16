import Foundation

/// An exclusive `flock` on a lock file, as Python's filelock (which huggingface_hub uses) takes
/// on Unix, so downloads of one file by several processes, AGFAS's or Python's, take turns.
struct FileLock {
  private let fd: Int32

  /// Waits (polling, so no thread is blocked) until the lock is held; `waiting` is called once
  /// if another process holds it.
  static func acquire(_ path: String, waiting: () -> Void) async throws -> FileLock {
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let fd = open(path, O_RDWR | O_CREAT, 0o644)
    guard fd >= 0 else {
      throw ModelsError.storage("cannot open the lock \(path): \(String(cString: strerror(errno)))")
    }
    var told = false
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      guard errno == EWOULDBLOCK || errno == EINTR else {
        let reason = String(cString: strerror(errno))
        close(fd)
        throw ModelsError.storage("cannot lock \(path): \(reason)")
      }
      if !told {
        waiting()
        told = true
      }
      do { try await Task.sleep(nanoseconds: 200_000_000) } catch {
        close(fd)
        throw error
      }
    }
    return FileLock(fd: fd)
  }

  func release() {
    flock(fd, LOCK_UN)
    close(fd)
  }
}
