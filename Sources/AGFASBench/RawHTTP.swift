import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// HTTP/1.1 over a plain blocking socket, byte for byte as given: what a benchmark of a
/// server needs to send well-formed requests fast and malformed ones exactly as malformed.
enum RawHTTP {
  /// What became of one exchange.
  enum Outcome: Hashable {
    /// The server answered with this status.
    case status(Int)
    /// It closed the connection (or reset it) without an answer.
    case closed
    /// No answer and no close within the timeout: a hang.
    case timeout
    /// Nothing listens.
    case refused
  }

  /// Sends `parts` (pausing `pause` seconds between them), then reads the answer until the
  /// server closes (the requests say `Connection: close`). `halfClose` shuts the sending side
  /// after the last part, as a client that gives up mid-body does.
  static func exchange(
    port: Int, parts: [[UInt8]], pause: Double = 0, halfClose: Bool = false, timeout: Double = 30,
    received: ([UInt8]) -> Void = { _ in }
  ) -> Outcome {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return .refused }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { return .refused }
    var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    for (i, part) in parts.enumerated() {
      if i > 0, pause > 0 { usleep(useconds_t(pause * 1e6)) }
      var sent = 0
      while sent < part.count {
        let n = part.withUnsafeBytes { send(fd, $0.baseAddress! + sent, part.count - sent, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { return answer(fd, received: received) }  // the server stopped reading: see what it said
        sent += n
      }
    }
    if halfClose { shutdown(fd, Int32(SHUT_WR)) }
    return answer(fd, received: received)
  }

  /// Sends a well-formed request and returns the status and body of the answer.
  static func fetch(port: Int, _ request: [UInt8], timeout: Double = 120) -> (status: Int, body: [UInt8])? {
    var body: [UInt8] = []
    let outcome = exchange(port: port, parts: [request], timeout: timeout) { body = $0 }
    guard case .status(let code) = outcome else { return nil }
    guard let end = body.firstRange(of: Array("\r\n\r\n".utf8)) else { return (code, []) }
    return (code, Array(body[end.upperBound...]))
  }

  /// Reads to the end of the connection and takes the status of the first answer.
  private static func answer(_ fd: Int32, received whole: ([UInt8]) -> Void = { _ in }) -> Outcome {
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
      if n > 0 {
        received.append(contentsOf: buffer[0..<n])
        continue
      }
      whole(received)
      if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { return status(received) ?? .timeout }
      return status(received) ?? .closed
    }
  }

  private static func status(_ bytes: [UInt8]) -> Outcome? {
    let head = String(decoding: bytes.prefix(12), as: UTF8.self)
    guard head.hasPrefix("HTTP/1."), head.count >= 12, let code = Int(head.dropFirst(9).prefix(3)) else { return nil }
    return .status(code)
  }

  /// A request's bytes: method, path, headers (with `Connection: close` and, for a body,
  /// its `Content-Length` unless given), body.
  static func request(
    _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []
  ) -> [UInt8] {
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    if !body.isEmpty, !headers.contains(where: { $0.0.lowercased() == "content-length" }) {
      head += "Content-Length: \(body.count)\r\n"
    }
    return Array((head + "\r\n").utf8) + body
  }

  /// A multipart/form-data body of named PNG parts.
  static func form(_ parts: [(String, [UInt8])], boundary: String) -> [UInt8] {
    var body: [UInt8] = []
    for (name, bytes) in parts {
      body += Array(
        "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(name).png\"\r\nContent-Type: image/png\r\n\r\n"
          .utf8)
      body += bytes + Array("\r\n".utf8)
    }
    return body + Array("--\(boundary)--\r\n".utf8)
  }
}
