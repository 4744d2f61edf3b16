import Foundation

/// huggingface_hub's cache layout for one model repository, read and written as that library
/// does, so files fetched by either are found by the other:
///
///     <cache>/models--<org>--<name>/blobs/<etag>                 the file's bytes
///     <cache>/models--<org>--<name>/snapshots/<commit>/<path>    a relative link to the blob
///     <cache>/models--<org>--<name>/refs/<revision>              the commit the revision was at
struct HubCache {
  var root: String
  var repo: String

  var folder: String { root + "/models--" + repo.replacingOccurrences(of: "/", with: "--") }
  func blob(_ etag: String) -> String { folder + "/blobs/" + etag }
  /// huggingface_hub's lock for downloading a blob.
  func lock(_ etag: String) -> String {
    root + "/.locks/models--" + repo.replacingOccurrences(of: "/", with: "--") + "/" + etag + ".lock"
  }
  func snapshot(_ commit: String) -> String { folder + "/snapshots/" + commit }
  func snapshotFile(_ commit: String, _ path: String) -> String { snapshot(commit) + "/" + path }

  /// The commit a revision was last seen at (a commit hash is its own).
  func commit(forRevision revision: String) -> String? {
    if revision.count == 40, revision.allSatisfy(\.isHexDigit) { return revision }
    let text = try? String(contentsOfFile: folder + "/refs/" + revision, encoding: .utf8)
    return text?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty
  }

  func record(revision: String, commit: String) throws {
    guard revision != commit else { return }
    let path = folder + "/refs/" + revision
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try writeAtomically(Data(commit.utf8), to: path)
  }

  /// Links `snapshots/<commit>/<path>` to its blob with the relative link huggingface_hub makes.
  func link(commit: String, path: String, etag: String) throws {
    let file = snapshotFile(commit, path)
    let depth = path.split(separator: "/").count - 1
    let target = String(repeating: "../", count: depth + 2) + "blobs/" + etag
    try FileManager.default.createDirectory(
      atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try replaceSymlink(at: file, target: target)
  }

  /// A cached file of the revision, if its blob is there.
  func cachedFile(revision: String, path: String) -> String? {
    guard let commit = commit(forRevision: revision) else { return nil }
    let file = snapshotFile(commit, path)
    return FileManager.default.fileExists(atPath: file) ? file : nil
  }

  /// Every file of the cached snapshot of a revision (paths relative to it).
  func cachedFiles(revision: String) -> [String] {
    guard let commit = commit(forRevision: revision),
      let walker = FileManager.default.enumerator(atPath: snapshot(commit))
    else { return [] }
    var files: [String] = []
    while let path = walker.nextObject() as? String {
      if FileManager.default.fileExists(atPath: snapshot(commit) + "/" + path) { files.append(path) }
    }
    return files.filter { !isDirectory(snapshot(commit) + "/" + $0) }.sorted()
  }
}

func isDirectory(_ path: String) -> Bool {
  var dir: ObjCBool = false
  return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
}

/// Points `path` at `target` in one step (a new link renamed over the old one).
func replaceSymlink(at path: String, target: String) throws {
  let temporary = path + ".link-\(uniqueSuffix())"
  unlink(temporary)
  guard symlink(target, temporary) == 0 else {
    throw ModelsError.storage("cannot link \(path): \(String(cString: strerror(errno)))")
  }
  guard rename(temporary, path) == 0 else {
    let reason = String(cString: strerror(errno))
    unlink(temporary)
    throw ModelsError.storage("cannot link \(path): \(reason)")
  }
}

/// Writes through a temporary file renamed into place.
func writeAtomically(_ data: Data, to path: String) throws {
  let temporary = path + ".tmp-\(uniqueSuffix())"
  do {
    try data.write(to: URL(fileURLWithPath: temporary))
    guard rename(temporary, path) == 0 else { throw ModelsError.storage(String(cString: strerror(errno))) }
  } catch {
    unlink(temporary)
    throw ModelsError.storage("cannot write \(path): \(describe(error))")
  }
}

/// A name part no other writer uses: the process id (other processes) and a random part
/// (other fetches in this process).
func uniqueSuffix() -> String {
  "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
}
