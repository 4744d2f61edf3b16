import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The HTTP side of fetching: one AsyncHTTPClient that never follows redirects by itself,
/// because the hub puts a file's hash and commit on the redirect response, and credentials
/// must not travel to the storage host it points at.
final class HTTPTransport: Sendable {
  private let client: HTTPClient

  struct Response: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var url: String

    func header(_ name: String) -> String? { headers.first(name: name) }

    /// The redirect target, resolved against the request URL.
    var location: String? {
      guard (300..<400).contains(status), let location = header("Location") else { return nil }
      return URL(string: location, relativeTo: URL(string: url))?.absoluteString
    }
  }

  init() {
    var configuration = HTTPClient.Configuration()
    configuration.redirectConfiguration = .disallow
    configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
    configuration.decompression = .disabled
    client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
  }

  func shutdown() async {
    try? await client.shutdown()
  }

  /// A request whose body, if any, is small (metadata, an index page).
  func fetch(_ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], limit: Int = 64 << 20)
    async throws -> (Response, Data)
  {
    let response = try await send(url, method: method, headers: headers)
    var body = Data()
    do {
      if method != .HEAD {
        for try await chunk in response.body {
          body.append(contentsOf: chunk.readableBytesView)
          guard body.count <= limit else { throw ModelsError.http("\(url): the answer is larger than \(limit) bytes") }
        }
      }
    } catch let error as ModelsError { throw error } catch {
      throw ModelsError.network("\(url): the answer broke off (\(Self.reason(error)))")
    }
    return (Response(status: Int(response.status.code), headers: response.headers, url: url), body)
  }

  /// A GET whose body is handed over chunk by chunk (downloads).
  func stream(
    _ url: String, headers: [(String, String)], onResponse: (Response) throws -> Void,
    onChunk: (ByteBuffer) throws -> Void
  ) async throws {
    let response = try await send(url, method: .GET, headers: headers)
    try onResponse(Response(status: Int(response.status.code), headers: response.headers, url: url))
    for try await chunk in response.body { try onChunk(chunk) }
  }

  private func send(_ url: String, method: HTTPMethod, headers: [(String, String)]) async throws
    -> HTTPClientResponse
  {
    var request = HTTPClientRequest(url: url)
    request.method = method
    request.headers.add(name: "User-Agent", value: "agfas")
    request.headers.add(name: "Accept-Encoding", value: "identity")
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    do {
      return try await client.execute(request, deadline: .distantFuture)
    } catch {
      throw ModelsError.network("cannot reach \(Self.origin(url)): \(Self.reason(error))")
    }
  }

  static func origin(_ url: String) -> String {
    guard let u = URL(string: url), let host = u.host else { return url }
    return (u.scheme.map { $0 + "://" } ?? "") + host + (u.port.map { ":\($0)" } ?? "")
  }

  /// A short reason for a transport error instead of its nested debug dump.
  static func reason(_ error: Error) -> String {
    if let error = error as? ModelsError { return error.description }
    let text = String(describing: error)
    for (needle, words) in [
      ("connectionRefused", "connection refused"), ("Connection refused", "connection refused"),
      ("connectTimeout", "no answer (connect timeout)"), ("readTimeout", "no data for 60 s (read timeout)"),
      ("remoteConnectionClosed", "the server closed the connection"),
      ("dnsA", "the host name does not resolve"), ("NXDOMAIN", "the host name does not resolve"),
      ("handshake", "TLS handshake failed"), ("certificate", "the server's TLS certificate was refused"),
      ("ioOnClosedChannel", "the connection was closed"), ("connectionReset", "the connection was reset"),
    ] where text.contains(needle) {
      return words
    }
    return text.count > 160 ? String(text.prefix(160)) + "..." : text
  }
}
