import Foundation

/// The parts of the Hugging Face hub's HTTP API that huggingface_hub uses to download: a
/// repository's file list at a revision, each file's metadata from a HEAD on its `resolve` URL
/// (commit, ETag = its hash, size, and the storage URL it redirects to), and the download into
/// the shared cache.
struct HubClient {
  var environment: ModelEnvironment
  var transport: HTTPTransport

  /// One file of a repository as the file list describes it.
  struct RepoFile: Sendable, Equatable {
    var path: String
    var size: Int64
    /// The blob's name in the cache: the LFS SHA-256, or the git blob id for small files.
    var etag: String?
  }

  struct RepoListing: Sendable {
    var repo: String
    var commit: String
    var files: [RepoFile]
  }

  func cache(_ repo: String) -> HubCache { HubCache(root: environment.hubCache, repo: repo) }

  /// The repository's files at `revision`, with the commit it resolves to.
  func listing(repo: String, revision: String) async throws -> RepoListing {
    let url = "\(environment.hubEndpoint)/api/models/\(repo)/revision/\(escape(revision))?blobs=true"
    let (response, body) = try await transport.fetch(url, headers: authorization(for: url))
    guard response.status == 200 else { throw statusError(response, repo: repo, what: "its file list") }
    struct Info: Decodable {
      var sha: String?
      var siblings: [Sibling]?
      struct Sibling: Decodable {
        var rfilename: String
        var size: Int64?
        var blobId: String?
        var lfs: LFS?
      }
      struct LFS: Decodable {
        var sha256: String?
        var size: Int64?
      }
    }
    let info: Info
    do { info = try JSONDecoder().decode(Info.self, from: body) } catch {
      throw ModelsError.http("\(repo): the hub's file list is not the JSON expected (\(describe(error)))")
    }
    guard let commit = info.sha, let siblings = info.siblings else {
      throw ModelsError.http("\(repo): the hub's file list has no commit or no files")
    }
    let files = siblings.map {
      RepoFile(path: $0.rfilename, size: $0.lfs?.size ?? $0.size ?? -1, etag: $0.lfs?.sha256 ?? $0.blobId)
    }
    return RepoListing(repo: repo, commit: commit, files: files)
  }

  /// What a HEAD on the file's resolve URL says, following only the hub's own (relative)
  /// redirects, such as a renamed repository's.
  struct FileMetadata {
    var commit: String?
    var etag: String
    var size: Int64?
    var downloadURL: String
  }

  func metadata(repo: String, revision: String, path: String) async throws -> FileMetadata {
    var url = "\(environment.hubEndpoint)/\(repo)/resolve/\(escape(revision))/\(escapePath(path))"
    for _ in 0..<5 {
      let (response, _) = try await transport.fetch(url, method: .HEAD, headers: authorization(for: url))
      if let location = response.location, HTTPTransport.origin(location) == HTTPTransport.origin(url),
        response.header("X-Linked-Etag") == nil
      {
        url = location
        continue
      }
      guard (200..<400).contains(response.status) else {
        throw statusError(response, repo: repo, what: path)
      }
      guard let tag = response.header("X-Linked-Etag") ?? response.header("ETag") else {
        throw ModelsError.http("\(repo)/\(path): the hub gave no ETag, so the file cannot be verified")
      }
      let etag = tag.replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
      let size = (response.header("X-Linked-Size") ?? response.header("Content-Length")).flatMap { Int64($0) }
      return FileMetadata(
        commit: response.header("X-Repo-Commit"), etag: etag, size: size, downloadURL: response.location ?? url)
    }
    throw ModelsError.http("\(repo)/\(path): too many redirects at the hub")
  }

  /// Makes `path` of `commit` present in the cache and returns its snapshot path. A blob that
  /// is already there (from AGFAS or from Python tools) is reused.
  @discardableResult
  func download(repo: String, commit: String, file: RepoFile, observer: FetchObserver) async throws -> String {
    let cache = cache(repo)
    let label = "\(repo)/\(file.path)"
    if let etag = file.etag, FileManager.default.fileExists(atPath: cache.blob(etag)) {
      try cache.link(commit: commit, path: file.path, etag: etag)
      observer(.reused(file: label, path: cache.snapshotFile(commit, file.path)))
      return cache.snapshotFile(commit, file.path)
    }
    let meta = try await metadata(repo: repo, revision: commit, path: file.path)
    guard let digest = ContentDigest(etag: meta.etag) else {
      throw ModelsError.integrity("\(label): the hub's ETag '\(meta.etag)' is not a hash, so it cannot be verified")
    }
    if let listed = file.etag, listed != meta.etag {
      throw ModelsError.integrity("\(label): the file list says \(listed) but the file's ETag is \(meta.etag)")
    }
    if !FileManager.default.fileExists(atPath: cache.blob(meta.etag)) {
      let download = FileDownload(
        url: meta.downloadURL, headers: authorization(for: meta.downloadURL), destination: cache.blob(meta.etag),
        size: file.size >= 0 ? file.size : meta.size, digest: digest, label: label, lock: cache.lock(meta.etag))
      try await download.run(transport, observer: observer)
    } else {
      observer(.reused(file: label, path: cache.snapshotFile(commit, file.path)))
    }
    try cache.link(commit: commit, path: file.path, etag: meta.etag)
    return cache.snapshotFile(commit, file.path)
  }

  /// The token goes to the hub's own host only, never to the storage a file redirects to.
  func authorization(for url: String) -> [(String, String)] {
    guard let token = environment.hubToken,
      HTTPTransport.origin(url) == HTTPTransport.origin(environment.hubEndpoint)
    else { return [] }
    return [("Authorization", "Bearer \(token)")]
  }

  private func statusError(_ response: HTTPTransport.Response, repo: String, what: String) -> ModelsError {
    let code = response.header("X-Error-Code") ?? ""
    let tokenHint =
      environment.hubToken == nil
      ? "if it is gated or private, accept its terms on the hub and set HF_TOKEN"
      : "check that HF_TOKEN has access to it"
    switch (response.status, code) {
    case (_, "GatedRepo"):
      return .http("\(repo) is gated (\(response.status)): accept its terms on the hub, then set HF_TOKEN")
    case (_, "RevisionNotFound"): return .http("\(repo): revision not found at \(environment.hubEndpoint)")
    case (_, "EntryNotFound"): return .http("\(repo): \(what) not found at \(environment.hubEndpoint)")
    case (401, _), (403, _):
      return .http(
        "\(repo): \(response.status) \(response.status == 401 ? "unauthorized" : "forbidden") for \(what) "
          + "at \(environment.hubEndpoint) (\(tokenHint))")
    case (404, _): return .http("\(repo): \(what) not found (404) at \(environment.hubEndpoint)")
    default: return .http("\(repo): the hub answered \(response.status) for \(what)")
    }
  }

  private func escape(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
  }

  private func escapePath(_ s: String) -> String {
    s.split(separator: "/", omittingEmptySubsequences: false).map { escape(String($0)) }.joined(separator: "/")
  }
}
