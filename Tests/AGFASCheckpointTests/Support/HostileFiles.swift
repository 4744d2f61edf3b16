import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Builders for the hostile files the Hostile*Tests craft at run time.
enum HostileFiles {
  /// A safetensors file: the 8-byte length (`headerLength`, or the header's true length),
  /// the header text, then `payload`.
  static func safetensors(_ header: String, _ payload: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    let n = headerLength ?? UInt64(h.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + h + payload
  }

  /// Makes a FIFO at `path`.
  static func fifo(_ path: String) throws {
    guard mkfifo(path, 0o600) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
  }

  /// Runs `body` on another thread and waits at most `seconds`; if it has not returned by
  /// then (blocked opening a FIFO), fails and opens each of `fifos` for writing, which
  /// releases a reader blocked in `open`, so a regression fails the test instead of hanging it.
  static func withinSeconds(
    _ seconds: Double, releasing fifos: [String], file: StaticString = #filePath, line: UInt = #line,
    _ body: @escaping @Sendable () -> Void
  ) {
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      body()
      done.signal()
    }
    if done.wait(timeout: .now() + seconds) == .timedOut {
      XCTFail("still blocked after \(seconds) s", file: file, line: line)
      for f in fifos {
        let fd = open(f, O_WRONLY | O_NONBLOCK)
        if fd >= 0 { close(fd) }
      }
      _ = done.wait(timeout: .now() + 10)
    }
  }
}
