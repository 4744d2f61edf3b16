/// The entries of a zip archive, read from its central directory (ZIP64 included) over a
/// memory-mapped file. Only stored (uncompressed) entries can be read, which is what
/// `torch.save` writes; their bytes are used in place.
struct ZipArchive {
  struct Entry {
    let name: String
    /// 0 = stored, 8 = deflated, ...
    let method: UInt16
    /// Where the entry's bytes start in the file (after its local header).
    let dataOffset: Int
    let size: Int
  }

  let file: MappedFile
  /// Entries in central-directory order.
  let entries: [Entry]
  private let byName: [String: Int]

  init(_ file: MappedFile) throws {
    self.file = file
    var r = ZipCursor(file: file, at: 0)
    let (cdOffset, cdSize, count) = try Self.locateCentralDirectory(file)
    guard file.contains(offset: cdOffset, length: cdSize) else {
      throw r.error("central directory at \(cdOffset) (\(cdSize) bytes) lies outside the file (\(file.count) bytes)")
    }
    guard count <= cdSize / 46 else { throw r.error("\(count) entries cannot fit in a \(cdSize)-byte directory") }
    r = ZipCursor(file: file, at: cdOffset)
    var entries: [Entry] = []
    var byName: [String: Int] = [:]
    for _ in 0..<count {
      let entry = try Self.readCentralEntry(&r)
      byName[entry.name] = entries.count
      entries.append(entry)
    }
    self.entries = entries
    self.byName = byName
  }

  func entry(_ name: String) -> Entry? { byName[name].map { entries[$0] } }

  /// The bytes of a stored entry.
  func bytes(_ e: Entry) throws -> UnsafeRawBufferPointer {
    guard e.method == 0 else {
      throw ZipCursor(file: file, at: 0).error(
        "entry '\(e.name)' is compressed (method \(e.method)); only stored entries are supported")
    }
    return file.bytes(e.dataOffset..<e.dataOffset + e.size)
  }

  /// Finds the end-of-central-directory record (and its ZIP64 form when present).
  private static func locateCentralDirectory(_ file: MappedFile) throws -> (offset: Int, size: Int, count: Int) {
    var r = ZipCursor(file: file, at: 0)
    let lowest = max(0, file.count - 22 - 0xFFFF)
    var at = file.count - 22
    while at >= lowest, r.u32(at: at) != 0x0605_4B50 { at -= 1 }
    guard at >= lowest else { throw r.error("no end-of-central-directory record (truncated or not a zip file)") }
    r = ZipCursor(file: file, at: at + 10)
    var count = Int(try r.u16())
    var size = Int(try r.u32())
    var offset = Int(try r.u32())
    // ZIP64: a locator just before the record points at the 64-bit record.
    if at >= 20, r.u32(at: at - 20) == 0x0706_4B50 {
      r = ZipCursor(file: file, at: at - 12)
      let z64 = try r.u64()
      guard let z = Int(exactly: z64), file.contains(offset: z, length: 56), r.u32(at: z) == 0x0606_4B50 else {
        throw r.error("ZIP64 end record offset \(z64) is invalid")
      }
      r = ZipCursor(file: file, at: z + 32)
      count = try r.int64("entry count")
      size = try r.int64("directory size")
      offset = try r.int64("directory offset")
    }
    return (offset, size, count)
  }

  private static func readCentralEntry(_ r: inout ZipCursor) throws -> Entry {
    let at = r.position
    guard try r.u32() == 0x0201_4B50 else { throw r.error("bad central directory entry signature at \(at)") }
    r.skip(6)
    let method = try r.u16()
    r.skip(8)
    var size = UInt64(try r.u32())  // compressed size; stored entries have equal sizes
    let uncompressed = UInt64(try r.u32())
    let nameLength = Int(try r.u16())
    let extraLength = Int(try r.u16())
    let commentLength = Int(try r.u16())
    r.skip(8)
    var local = UInt64(try r.u32())
    let name = String(decoding: try r.take(nameLength), as: UTF8.self)
    var extra = ZipCursor(file: r.file, at: r.position, end: r.position + extraLength)
    r.skip(extraLength + commentLength)
    // The ZIP64 extra field holds, in order, those fields whose 32-bit value is saturated.
    while extra.position + 4 <= extra.end {
      let id = try extra.u16()
      let length = Int(try extra.u16())
      var field = ZipCursor(file: r.file, at: extra.position, end: min(extra.position + length, extra.end))
      extra.skip(length)
      guard id == 0x0001 else { continue }
      if uncompressed == 0xFFFF_FFFF { _ = try field.u64() }
      if size == 0xFFFF_FFFF { size = try field.u64() }
      if local == 0xFFFF_FFFF { local = try field.u64() }
    }
    let fileCount = UInt64(r.file.count)
    guard local <= fileCount, size <= fileCount else {
      throw r.error("entry '\(name)': local header at \(local), size \(size) outside the file (\(fileCount) bytes)")
    }
    var h = ZipCursor(file: r.file, at: Int(local))
    guard (try? h.u32()) == 0x0403_4B50 else { throw r.error("entry '\(name)': no local header at \(local)") }
    h.skip(22)
    let dataOffset = Int(local) + 30 + Int(try h.u16()) + Int(try h.u16())
    guard r.file.contains(offset: dataOffset, length: Int(size)) else {
      throw r.error("entry '\(name)': \(size) bytes at \(dataOffset) run past the end of the file (\(fileCount) bytes)")
    }
    return Entry(name: name, method: method, dataOffset: dataOffset, size: Int(size))
  }
}

/// Little-endian reads inside a range of a mapped file; reading past the range throws.
struct ZipCursor {
  let file: MappedFile
  var position: Int
  let end: Int

  init(file: MappedFile, at position: Int, end: Int? = nil) {
    self.file = file
    self.position = position
    self.end = min(end ?? file.count, file.count)
  }

  func error(_ reason: String) -> CheckpointError { .malformed(path: file.path, reason: "zip: " + reason) }

  mutating func skip(_ n: Int) { position += n }

  mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
    guard position >= 0, n >= 0, position <= end, n <= end - position else {
      throw error("record at \(position) (\(n) bytes) runs past the end")
    }
    defer { position += n }
    return file.bytes(position..<position + n)
  }

  mutating func uint(_ n: Int) throws -> UInt64 { try take(n).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
  mutating func u16() throws -> UInt16 { UInt16(try uint(2)) }
  mutating func u32() throws -> UInt32 { UInt32(try uint(4)) }
  mutating func u64() throws -> UInt64 { try uint(8) }

  mutating func int64(_ what: String) throws -> Int {
    let v = try u64()
    guard v <= UInt64(file.count) else { throw error("ZIP64 \(what) \(v) exceeds the file size") }
    return Int(v)
  }

  /// The 32-bit value at an absolute offset, or nil when out of range (for signature probes).
  func u32(at offset: Int) -> UInt32? {
    guard file.contains(offset: offset, length: 4) else { return nil }
    return file.bytes(offset..<offset + 4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
  }
}
