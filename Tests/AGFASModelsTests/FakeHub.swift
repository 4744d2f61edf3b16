import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A model hub on loopback, in the test process: the Hugging Face hub's file list API,
/// `resolve` URLs (LFS files redirect to a blob URL with `X-Linked-Etag`/`X-Linked-Size`/
/// `X-Repo-Commit`, small files answer with their git blob SHA-1 as ETag), Range requests,
/// plus a torchvision-style URL and a PyPI-style simple index. Faults can be switched on: a
/// transfer cut in the middle, one corrupted byte, a token-protected repository.
final class FakeHub: @unchecked Sendable {
  struct File {
    var data: Data
    var lfs: Bool
  }
  struct Repo {
    var commit: String
    var files: [String: File]
    var token: String?
  }

  private let lock = NSLock()
  private var repos: [String: Repo] = [:]
  private var plain: [String: Data] = [:]
  private var wheels: [String: [String: Data]] = [:]
  private var cutOnce: Set<String> = []
  private var corrupt: Set<String> = []
  private(set) var bytesServed = 0
  /// Bytes sent per path.
  private(set) var served: [String: Int] = [:]
  private(set) var rangeRequests = 0
  private var task: Task<Void, Error>?
  private(set) var port = 0

  var base: String { "http://127.0.0.1:\(port)" }

  func addRepo(_ name: String, files: [String: File], token: String? = nil) {
    let commit = Insecure.SHA1.hash(data: Data(name.utf8)).map { String(format: "%02x", $0) }.joined()
    locked { repos[name] = Repo(commit: commit, files: files, token: token) }
  }

  func commit(of repo: String) -> String { locked { repos[repo]!.commit } }

  /// A file at a plain path (torchvision's URL, a wheel under /packages/).
  func addPlain(_ path: String, _ data: Data) { locked { plain[path] = data } }

  /// A wheel listed on the simple index page of `project`.
  func addWheel(project: String, file: String, data: Data) {
    locked {
      wheels[project, default: [:]][file] = data
      plain["/packages/" + file] = data
    }
  }

  /// The next GET of a path ending in `suffix` sends half the bytes and breaks off.
  func cutNextTransfer(of suffix: String) { locked { _ = cutOnce.insert(suffix) } }
  /// GETs of a path ending in `suffix` have one byte changed.
  func corruptTransfers(of suffix: String) { locked { _ = corrupt.insert(suffix) } }

  func resetCounters() {
    locked {
      bytesServed = 0
      rangeRequests = 0
      served = [:]
    }
  }

  func start() async throws {
    let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
      responder: CallbackResponder<BasicRequestContext> { [self] request, _ in try await respond(request) },
      configuration: .init(address: .hostname("127.0.0.1", port: 0)),
      onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
      logger: {
        // Cancelling the server at the end of a test is expected, not worth a log line.
        var logger = Logger(label: "fake-hub")
        logger.logLevel = .critical
        return logger
      }())
    task = Task { try await app.runService() }
    for await p in stream {
      port = p
      break
    }
  }

  func stop() async {
    task?.cancel()
    _ = try? await task?.value
  }

  private func locked<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }

  // MARK: - Routes

  private func respond(_ request: Request) async throws -> Response {
    let path = request.uri.path
    let parts = path.split(separator: "/").map(String.init)
    let isHead = request.method == .head
    if parts.count >= 6, parts[0] == "api", parts[1] == "models", parts[4] == "revision" {
      return apiInfo(repo: parts[2] + "/" + parts[3], request: request)
    }
    if parts.count >= 5, parts[2] == "resolve" {
      return resolve(
        repo: parts[0] + "/" + parts[1], revision: parts[3], file: parts[4...].joined(separator: "/"),
        request: request, head: isHead)
    }
    if parts.count == 2, parts[0] == "blobs", let data = blob(parts[1]) {
      return serve(data, key: path, request: request, head: isHead)
    }
    if parts.count == 2, parts[0] == "simple" {
      return simplePage(project: parts[1])
    }
    if let data = locked({ plain[path] }) {
      return serve(data, key: path, request: request, head: isHead)
    }
    return Response(status: .notFound)
  }

  private func authorized(_ repo: Repo, _ request: Request) -> Bool {
    guard let token = repo.token else { return true }
    return request.headers[.authorization] == "Bearer \(token)"
  }

  private func apiInfo(repo name: String, request: Request) -> Response {
    guard let repo = locked({ repos[name] }) else {
      return Response(status: .notFound, headers: [HTTPField.Name("X-Error-Code")!: "RepoNotFound"])
    }
    guard authorized(repo, request) else { return Response(status: .unauthorized) }
    let siblings: [[String: Any]] = repo.files.keys.sorted().map { path in
      let file = repo.files[path]!
      var entry: [String: Any] = ["rfilename": path, "size": file.data.count, "blobId": gitSHA1(file.data)]
      if file.lfs { entry["lfs"] = ["sha256": sha256(file.data), "size": file.data.count, "pointerSize": 134] }
      return entry
    }
    let json = try! JSONSerialization.data(withJSONObject: ["id": name, "sha": repo.commit, "siblings": siblings])
    return Response(
      status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: json)))
  }

  private func resolve(repo name: String, revision: String, file: String, request: Request, head: Bool) -> Response {
    guard let repo = locked({ repos[name] }) else {
      return Response(status: .notFound, headers: [HTTPField.Name("X-Error-Code")!: "RepoNotFound"])
    }
    guard authorized(repo, request) else { return Response(status: .unauthorized) }
    guard revision == "main" || revision == repo.commit, let entry = repo.files[file] else {
      return Response(status: .notFound, headers: [HTTPField.Name("X-Error-Code")!: "EntryNotFound"])
    }
    var headers: HTTPFields = [HTTPField.Name("X-Repo-Commit")!: repo.commit]
    if entry.lfs {
      let hash = sha256(entry.data)
      headers[HTTPField.Name("X-Linked-Etag")!] = "\"\(hash)\""
      headers[HTTPField.Name("X-Linked-Size")!] = String(entry.data.count)
      headers[.location] = "\(base)/blobs/\(hash)"
      return Response(status: .found, headers: headers)
    }
    headers[.eTag] = "\"\(gitSHA1(entry.data))\""
    return serve(entry.data, key: "/" + name + "/" + file, request: request, head: head, extra: headers)
  }

  private func blob(_ hash: String) -> Data? {
    locked { repos.values.lazy.flatMap { $0.files.values }.first { sha256($0.data) == hash }?.data }
  }

  private func simplePage(project: String) -> Response {
    guard let files = locked({ wheels[project] }) else { return Response(status: .notFound) }
    let links = files.keys.sorted().map {
      "<a href=\"../../packages/\($0)#sha256=\(sha256(files[$0]!))\">\($0)</a><br/>"
    }
    let html = "<!DOCTYPE html><html><body><h1>Links for \(project)</h1>\(links.joined())</body></html>"
    return Response(
      status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: html)))
  }

  /// The bytes, honouring `Range: bytes=N-`, with the faults switched on for this path.
  private func serve(_ data: Data, key: String, request: Request, head: Bool, extra: HTTPFields = [:]) -> Response {
    var body = data
    if locked({ corrupt.contains { key.hasSuffix($0) } }), !body.isEmpty { body[body.count / 2] ^= 0xFF }
    var headers = extra
    var status = HTTPResponse.Status.ok
    var start = 0
    if let range = request.headers[.range], range.hasPrefix("bytes="), range.hasSuffix("-"),
      let from = Int(range.dropFirst(6).dropLast())
    {
      locked { rangeRequests += 1 }
      guard from < body.count else { return Response(status: .rangeNotSatisfiable) }
      start = from
      status = .partialContent
      headers[.contentRange] = "bytes \(from)-\(body.count - 1)/\(body.count)"
    }
    let slice = body[start...]
    headers[.contentLength] = String(slice.count)
    if head {
      return Response(status: status, headers: headers, body: ResponseBody(contentLength: slice.count) { _ in })
    }
    let cut = locked { () -> Bool in
      guard let hit = cutOnce.first(where: { key.hasSuffix($0) }) else { return false }
      cutOnce.remove(hit)
      return true
    }
    let bytes = Data(slice)
    let sent = cut ? bytes.count / 2 : bytes.count
    locked {
      bytesServed += sent
      served[key, default: 0] += sent
    }
    return Response(
      status: status, headers: headers,
      body: ResponseBody(contentLength: bytes.count) { writer in
        try await writer.write(ByteBuffer(data: bytes.prefix(sent)))
        if cut { throw CancellationError() }
        try await writer.finish(nil)
      })
  }
}

func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

func gitSHA1(_ data: Data) -> String {
  Insecure.SHA1.hash(data: Data("blob \(data.count)\0".utf8) + data).map { String(format: "%02x", $0) }.joined()
}
