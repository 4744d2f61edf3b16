/// PyTorch's zip checkpoint (`torch.save` since 1.6): `<root>/data.pkl` pickles the object
/// tree, naming each storage by a persistent id whose bytes are the entry `<root>/data/<key>`.
/// `<root>` is whatever name the writer chose (torch uses the file's stem).
enum TorchZipCheckpoint {
  static func load(_ file: MappedFile, limits: CheckpointLimits) throws -> CheckpointValue {
    let archive = try ZipArchive(file)
    guard let pickle = archive.entries.first(where: { isRootPickle($0.name) }) else {
      throw CheckpointError.malformed(path: file.path, reason: "zip has no <root>/data.pkl entry")
    }
    let root = String(pickle.name.dropLast("data.pkl".count))
    if let order = archive.entry(root + "byteorder") {
      let text = String(decoding: try archive.bytes(order), as: UTF8.self)
      guard text == "little" else {
        throw CheckpointError.malformed(path: file.path, reason: "byte order '\(text)' is not supported")
      }
    }
    var storages: [String: TorchStorage] = [:]
    let persistentLoad: Unpickler.PersistentLoad = { pid in
      let (key, dtype, count) = try TorchStorage.parsePersistentID(pid)
      if let s = storages[key] { return .storage(s) }
      guard let entry = archive.entry(root + "data/" + key) else {
        throw PickleError.malformed(position: nil, reason: "storage '\(key)' has no entry \(root)data/\(key)")
      }
      let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
      guard entry.method == 0, !overflow, entry.size >= bytes else {
        throw PickleError.malformed(
          position: nil,
          reason: "storage '\(key)' declares \(count) \(dtype) elements but its entry holds \(entry.size) bytes"
            + (entry.method == 0 ? "" : " compressed with method \(entry.method)"))
      }
      let s = TorchStorage(key: key, dtype: dtype, count: count)
      s.bind(file, byteOffset: entry.dataOffset)
      storages[key] = s
      return .storage(s)
    }
    do {
      var unpickler = Unpickler(
        try archive.bytes(pickle), maxObjects: limits.pickleObjects(fileBytes: file.count),
        persistentLoad: persistentLoad)
      return try unpickler.load()
    } catch let e as PickleError {
      throw CheckpointError.pickle(path: file.path, entry: pickle.name, e)
    }
  }

  /// `<root>/data.pkl` with a single-level root.
  private static func isRootPickle(_ name: String) -> Bool {
    let parts = name.split(separator: "/", omittingEmptySubsequences: false)
    return parts.count == 2 && !parts[0].isEmpty && parts[1] == "data.pkl"
  }
}
