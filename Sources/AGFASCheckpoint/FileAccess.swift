import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Opening the files a checkpoint names, safely: only regular files are opened, and every
/// failure is told as what it is.
///
/// `open(2)` on a FIFO blocks until a writer appears, and on a device it may block or read
/// forever, so the path is `stat`ed first and anything but a regular file is refused, then
/// opened with `O_NONBLOCK` (in case it was swapped for a FIFO in between) and checked again
/// with `fstat`. errno is turned into a sentence: a symlink loop is not "does not exist".
enum FileAccess {
  /// What a path names, following symlinks.
  enum Kind: Equatable {
    case regular(size: Int)
    case directory
  }

  /// The kind of `path`, or an `unreadable` error saying why it cannot be a checkpoint:
  /// missing, a symlink loop, a FIFO, a device, a socket, unreadable.
  static func kind(of path: String) throws -> Kind {
    let raw = SystemPath.bytes(path)
    var info = stat()
    guard stat(raw, &info) == 0 else { throw failure(path, raw, errno) }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .regular(size: Int(info.st_size))
    case S_IFDIR: return .directory
    default: throw CheckpointError.unreadable(path: path, reason: describe(mode: info.st_mode))
    }
  }

  /// Whether anything (a file, a folder, a FIFO, a dangling or looping symlink) has this name.
  static func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(SystemPath.bytes(path), &info) == 0
  }

  /// Opens a regular file read-only and returns its descriptor and size; the caller closes it.
  static func openRegularFile(_ path: String) throws -> (fd: Int32, size: Int) {
    guard case .regular = try kind(of: path) else {
      throw CheckpointError.unreadable(path: path, reason: describe(mode: S_IFDIR))
    }
    let raw = SystemPath.bytes(path)
    let fd = open(raw, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw failure(path, raw, errno) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let e = errno
      close(fd)
      throw failure(path, raw, e)
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      close(fd)
      throw CheckpointError.unreadable(path: path, reason: describe(mode: info.st_mode))
    }
    return (fd, Int(info.st_size))
  }

  /// The whole of a small regular file (an index or a config), refusing one over `limit` bytes.
  static func contents(of path: String, limit: Int) throws -> Data {
    let (fd, size) = try openRegularFile(path)
    defer { close(fd) }
    guard size <= limit else {
      throw CheckpointError.unreadable(path: path, reason: "is \(size) bytes, more than the \(limit) allowed for it")
    }
    var data = Data(count: size)
    var done = 0
    while done < size {
      let n = data.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
      if n < 0, errno == EINTR { continue }
      guard n > 0 else {
        throw CheckpointError.unreadable(
          path: path, reason: n == 0 ? "the file shrank while being read" : String(cString: strerror(errno)))
      }
      done += n
    }
    return data
  }

  /// The absolute path with every symlink resolved, as bytes (names need not be UTF-8).
  static func resolved(_ path: String) throws -> [UInt8] {
    let raw = SystemPath.bytes(path)
    guard let p = realpath(raw, nil) else { throw failure(path, raw, errno) }
    defer { free(p) }
    return Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
  }

  /// A sentence for a failed `stat`/`open`/`realpath` of `path`.
  static func failure(_ path: String, _ raw: [CChar], _ code: Int32) -> CheckpointError {
    let reason: String
    switch code {
    case ENOENT:
      var info = stat()
      if lstat(raw, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
        reason = "is a symlink to something that does not exist"
      } else if path.unicodeScalars.contains("\u{FFFD}") {
        reason =
          "no such file or folder (its name holds U+FFFD, which stands in for bytes that are not UTF-8; "
          + "a file whose name is not UTF-8 can only be given directly on the command line)"
      } else {
        reason = "no such file or folder"
      }
    case ELOOP: reason = "symlink loop (too many levels of symbolic links)"
    case EACCES: reason = "permission denied"
    case ENOTDIR: reason = "a part of the path is not a folder"
    case ENAMETOOLONG: reason = "the path is too long"
    default: reason = String(cString: strerror(code))
    }
    return .unreadable(path: path, reason: reason)
  }

  /// What a non-regular, non-folder file is, as the refusal says it.
  static func describe(mode: mode_t) -> String {
    let what: String
    switch mode & S_IFMT {
    case S_IFIFO: what = "a FIFO (named pipe)"
    case S_IFCHR: what = "a character device"
    case S_IFBLK: what = "a block device"
    case S_IFSOCK: what = "a socket"
    case S_IFDIR: what = "a folder"
    default: what = "a special file"
    }
    return "is \(what), not a regular file; checkpoints are read only from regular files"
  }
}

/// The small JSON files that come with weights (model configs, shard indexes, OA-Net configs),
/// read as the checkpoint readers read files: a FIFO, a device or a folder is refused rather
/// than blocked on, and a file over `limit` bytes is refused before it is read.
public enum SmallFile {
  /// Configs and indexes are read whole; none real comes near this (the largest shard
  /// indexes are a few megabytes).
  public static let maxJSONBytes = 32 << 20

  /// The contents of the regular file at `path`; a `CheckpointError.unreadable` saying why not.
  public static func contents(of path: String, limit: Int = maxJSONBytes) throws -> Data {
    try FileAccess.contents(of: path, limit: limit)
  }
}
