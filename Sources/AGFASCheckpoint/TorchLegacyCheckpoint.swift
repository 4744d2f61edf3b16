/// PyTorch's legacy checkpoint (`torch.save` before 1.6, or `_use_new_zipfile_serialization=
/// False`): five pickles in a row (magic number, protocol version, system info, the object
/// tree, the storage keys), then each storage as an 8-byte little-endian element count and
/// its raw bytes, in key order.
enum TorchLegacyCheckpoint {
  /// 0x1950a86a20f9469cfc6c, little-endian, as pickle's LONG1 stores it.
  static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
  static let protocolVersion = 1001

  static func load(_ file: MappedFile, limits: CheckpointLimits) throws -> CheckpointValue {
    let bytes = file.bytes(0..<file.count)
    var position = 0
    // The first pickle of a legacy file is PyTorch's magic number; a file whose first pickle
    // fails is a plain Python pickle, and the message says so rather than naming a "part".
    var part =
      "the file, a plain Python pickle and not a PyTorch checkpoint "
      + "(a legacy PyTorch checkpoint starts with PyTorch's magic number)"
    func fail(_ reason: String) -> CheckpointError { .malformed(path: file.path, reason: reason) }
    do {
      func next(_ persistentLoad: Unpickler.PersistentLoad? = nil) throws -> CheckpointValue {
        var u = Unpickler(
          bytes, position: position, maxObjects: limits.pickleObjects(fileBytes: file.count),
          persistentLoad: persistentLoad)
        defer { position = u.position }
        return try u.load()
      }
      guard case .bigInt(magic) = try next() else {
        throw fail("the first pickle is not PyTorch's magic number")
      }
      part = "protocol version pickle"
      let version = try next()
      guard case .int(protocolVersion) = version else {
        throw fail("legacy protocol version \(version) is not \(protocolVersion)")
      }
      part = "system info pickle"
      guard (try next())["little_endian"]?.bool ?? true else {
        throw fail("big-endian checkpoints are not supported")
      }
      part = "data pickle"
      var storages: [String: TorchStorage] = [:]
      let value = try next { pid in
        let (key, dtype, count) = try TorchStorage.parsePersistentID(pid)
        if case .tuple(let p) = pid, p.count > 5, case .tuple = p[5] {
          throw PickleError.malformed(position: nil, reason: "storage '\(key)' is a legacy storage view (unsupported)")
        }
        if let s = storages[key] { return .storage(s) }
        let s = TorchStorage(key: key, dtype: dtype, count: count)
        storages[key] = s
        return .storage(s)
      }
      part = "storage keys pickle"
      guard let keys = try next().elements?.compactMap(\.string) else {
        throw fail("the storage key list is not a list of strings")
      }
      for key in keys { try bindStorage(key, storages, file, &position) }
      if let unbound = storages.values.first(where: { !$0.isBound }) {
        throw fail("storage '\(unbound.key)' is used but not stored in the file")
      }
      return value
    } catch let e as PickleError {
      throw CheckpointError.pickle(path: file.path, entry: part, e)
    }
  }

  /// Reads one storage's count and points it at its bytes, advancing `position` past them.
  private static func bindStorage(
    _ key: String, _ storages: [String: TorchStorage], _ file: MappedFile, _ position: inout Int
  ) throws {
    func fail(_ reason: String) -> CheckpointError {
      .malformed(path: file.path, reason: "storage '\(key)' at byte \(position): \(reason)")
    }
    guard let s = storages[key] else { throw fail("is listed but no tensor names it, so its dtype is unknown") }
    guard file.contains(offset: position, length: 8) else { throw fail("file ends before its element count") }
    let count = file.bytes(position..<position + 8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    guard count == UInt64(s.count) else { throw fail("holds \(count) elements, the pickle declares \(s.count)") }
    let (length, overflow) = s.count.multipliedReportingOverflow(by: s.dtype.byteSize)
    guard !overflow, file.contains(offset: position + 8, length: length) else {
      throw fail("file ends inside its \(count) elements of \(s.dtype)")
    }
    s.bind(file, byteOffset: position + 8)
    position += 8 + length
  }
}
