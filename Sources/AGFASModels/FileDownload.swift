import Foundation
import NIOCore

/// One file from a URL to its final path: the bytes go to `<final>.incomplete` (the name
/// huggingface_hub uses, so either tool resumes the other's download), an interrupted transfer
/// continues with an HTTP Range request, the whole file is hashed and checked, and only then
/// renamed into place. A file that fails its hash, or cannot be written for lack of space, is
/// removed; a broken-off transfer keeps its part for the next run.
struct FileDownload {
  var url: String
  var headers: [(String, String)] = []
  var destination: String
  var size: Int64?
  var digest: ContentDigest
  /// The name shown in progress and errors.
  var label: String

  /// The lock file that keeps two processes from writing one download: for hub files the one
  /// huggingface_hub takes (`<cache>/.locks/models--org--name/<etag>.lock`), so AGFAS and Python
  /// tools wait for each other.
  var lock: String

  var partial: String { destination + ".incomplete" }

  func run(_ transport: HTTPTransport, observer: FetchObserver) async throws {
    let folder = (destination as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let held = try await FileLock.acquire(
      lock, waiting: { observer(.note("waiting for another download of \(label)")) })
    defer { held.release() }
    if FileManager.default.fileExists(atPath: destination) {
      // Another process finished it while this one waited.
      observer(.reused(file: label, path: destination))
      return
    }
    let fd = open(partial, O_RDWR | O_CREAT, 0o644)
    guard fd >= 0 else {
      throw ModelsError.storage("cannot write \(partial): \(String(cString: strerror(errno)))")
    }
    var closed = false
    defer { if !closed { close(fd) } }

    var have = Int64(lseek(fd, 0, SEEK_END))
    if let size, have > size {
      // Longer than the file: not a part of it.
      guard ftruncate(fd, 0) == 0 else { throw ModelsError.storage("cannot truncate \(partial)") }
      have = 0
    }
    try checkFreeSpace(folder: folder, needed: (size ?? 0) - have)

    var hasher = try digest.hasher(size: size)
    if have > 0 { try hasher.update(fileDescriptor: fd, count: have) }
    var written = have
    if size == nil || have < size! {
      var requestHeaders = headers
      if have > 0 { requestHeaders.append(("Range", "bytes=\(have)-")) }
      observer(.downloading(file: label, size: size, resumedAt: have))
      var lastReport = DispatchTime.now().uptimeNanoseconds
      do {
        try await transport.stream(
          url, headers: requestHeaders,
          onResponse: { response in
            switch response.status {
            case 206 where have > 0:
              guard let range = response.header("Content-Range"), range.hasPrefix("bytes \(have)-") else {
                throw ModelsError.network("\(label): the server answered a resume with another range; rerun")
              }
            case 200:
              if have > 0 {
                // The server ignored the Range: start over.
                guard ftruncate(fd, 0) == 0 else { throw ModelsError.storage("cannot truncate \(partial)") }
                have = 0
                written = 0
                hasher = try digest.hasher(size: size)
              }
            default:
              throw FileDownload.statusError(response.status, url: url, label: label)
            }
            lseek(fd, off_t(written), SEEK_SET)
          },
          onChunk: { chunk in
            try chunk.withUnsafeReadableBytes { bytes in
              try writeAll(fd, bytes)
              hasher.update(bytes)
            }
            written += Int64(chunk.readableBytes)
            if let size, written > size {
              throw ModelsError.integrity("\(label): the server sent more than the \(size) bytes announced")
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if now - lastReport > 200_000_000 {
              lastReport = now
              observer(.progress(file: label, bytes: written, size: size))
            }
          })
      } catch let error as ModelsError {
        if case .storage = error { discard(fd: fd, closed: &closed) }
        if case .integrity = error { discard(fd: fd, closed: &closed) }
        throw error
      } catch {
        throw ModelsError.network(
          "\(label): the transfer broke off after \(written) of \(size.map(String.init) ?? "?") bytes "
            + "(\(HTTPTransport.reason(error))); run the same command again to resume")
      }
    }
    if let size, written != size {
      throw ModelsError.network(
        "\(label): the transfer ended after \(written) of \(size) bytes; run the same command again to resume")
    }
    let hex = hasher.finalize()
    guard digest.matches(hex) else {
      discard(fd: fd, closed: &closed)
      throw ModelsError.integrity(
        "\(label) is corrupt: expected \(digest), got \(hex); the download was removed, run the same command again")
    }
    guard fsync(fd) == 0 else {
      throw ModelsError.storage("cannot flush \(partial): \(String(cString: strerror(errno)))")
    }
    close(fd)
    closed = true
    guard rename(partial, destination) == 0 else {
      throw ModelsError.storage("cannot move \(partial) into place: \(String(cString: strerror(errno)))")
    }
    observer(.downloaded(file: label, bytes: written))
  }

  private func discard(fd: Int32, closed: inout Bool) {
    if !closed { close(fd) }
    closed = true
    unlink(partial)
  }

  private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
    var offset = 0
    while offset < bytes.count {
      let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        let reason = errno == ENOSPC ? "the disk is full" : String(cString: strerror(errno))
        throw ModelsError.storage("cannot write \(partial): \(reason); the partial download was removed")
      }
      offset += n
    }
  }

  private func checkFreeSpace(folder: String, needed: Int64) throws {
    var fs = statvfs()
    guard needed > 0, statvfs(folder, &fs) == 0 else { return }
    let free = Int64(fs.f_bavail) * Int64(fs.f_frsize)
    if free < needed {
      throw ModelsError.storage(
        "\(label) needs \(byteCount(needed)) but \(folder) has only \(byteCount(free)) free")
    }
  }

  static func statusError(_ status: Int, url: String, label: String) -> ModelsError {
    switch status {
    case 401, 403:
      .http("\(label): \(status) \(status == 401 ? "unauthorized" : "forbidden") at \(url)")
    case 404: .http("\(label): 404 not found at \(url)")
    case 416: .http("\(label): the server refused to resume (416); delete the .incomplete file and rerun")
    default: .http("\(label): the server answered \(status) at \(url)")
    }
  }
}

/// Sizes as people read them (decimal units, as download tools show them).
public func byteCount(_ bytes: Int64) -> String {
  let units = ["B", "kB", "MB", "GB", "TB"]
  var value = Double(bytes)
  var unit = 0
  while value >= 1000 && unit < units.count - 1 {
    value /= 1000
    unit += 1
  }
  return unit == 0 ? "\(bytes) B" : String(format: value < 10 ? "%.2f %@" : "%.1f %@", value, units[unit])
}
