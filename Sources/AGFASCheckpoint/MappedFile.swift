import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A whole file mapped read-only into memory, so multi-gigabyte checkpoints are read without
/// copying them first; tensors keep the mapping alive until they are loaded.
final class MappedFile: @unchecked Sendable {
  let path: String
  /// Start of the mapping; nil for an empty file.
  let base: UnsafeRawPointer?
  let count: Int

  /// Maps the regular file at `path`; FIFOs, devices, sockets and folders are refused
  /// before they are opened (see `FileAccess`).
  init(path: String) throws {
    self.path = path
    let (fd, size) = try FileAccess.openRegularFile(path)
    defer { close(fd) }
    count = size
    if count == 0 {
      base = nil
      return
    }
    let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
    guard let p, p != MAP_FAILED else {
      throw CheckpointError.unreadable(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
    }
    base = UnsafeRawPointer(p)
  }

  /// The bytes of `range`, which the caller has checked lies inside the file.
  func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
    precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) outside \(count) bytes")
    guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
    return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
  }

  /// Whether `offset..<offset+length` lies inside the file (overflow-safe).
  func contains(offset: Int, length: Int) -> Bool {
    offset >= 0 && length >= 0 && offset <= count && length <= count - offset
  }

  deinit {
    if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
  }
}
