import AGFASEngine
import Foundation
import XCTest

@testable import AGFASCheckpoint

/// Damaged and hostile files: each gives an error naming the file and the problem, never a
/// crash, and never reads outside the file.
final class CheckpointDamageTests: XCTestCase {
  var scratch: ScratchDir!

  override func setUpWithError() throws { scratch = try ScratchDir() }
  override func tearDown() { scratch = nil }

  /// Writes `bytes` and asserts that loading them fails with a message holding the path and `texts`.
  func assertRefused(_ bytes: [UInt8], _ texts: String..., line: UInt = #line) throws {
    let path = try scratch.write(bytes, "damaged-\(UUID().uuidString).pt")
    do {
      _ = try Checkpoint.load(path: path)
      XCTFail("loaded a damaged file; expected \(texts)", line: line)
    } catch {
      for t in [path] + texts where !"\(error)".contains(t) { XCTFail("'\(error)' lacks '\(t)'", line: line) }
    }
  }

  /// The entries of a fixture zip, to re-pack them.
  func zipEntries(_ name: String) throws -> [(name: String, data: [UInt8])] {
    let archive = try ZipArchive(MappedFile(path: Fixtures.path(name)))
    return try archive.entries.map { ($0.name, Array(try archive.bytes($0))) }
  }

  func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

  func testZip64ArchiveReadsLikeTheOriginal() throws {
    let path = try scratch.write(ZipBuilder.archive(try zipEntries("state_dict.pt"), zip64: true), "z64.pt")
    try TorchZipCheckpointTests.assertMatchesTorch("state_dict.pt", path: path)
  }

  func testDamagedZipArchives() throws {
    let good = try Fixtures.bytes("state_dict.pt")
    try assertRefused(Array(good.prefix(good.count / 2)), "no end-of-central-directory record")
    try assertRefused(Array(good.prefix(good.count - 5)), "no end-of-central-directory record")

    let small = ZipBuilder.archive([("r/data.pkl", [0x80, 2, 0x4E, 0x2E])])
    var badDirectory = small
    badDirectory.replaceSubrange(badDirectory.count - 6..<badDirectory.count - 2, with: le(0x7FFF_FFFF, 4))
    try assertRefused(badDirectory, "zip: central directory at 2147483647")
    var badLocal = ZipBuilder.archive([("r/x", [1]), ("r/data.pkl", [0x80, 2, 0x4E, 0x2E])])
    badLocal[34] = 0  // the second entry's local header follows the first (30 + 3 + 1 bytes)
    try assertRefused(badLocal, "entry 'r/data.pkl': no local header at 34")
    var badSize = ZipBuilder.archive([("r/data.pkl", [0x80, 2, 0x4E, 0x2E])], zip64: true)
    let extra = try XCTUnwrap(badSize.indices.first { Array(badSize[$0..<$0 + 4]) == [1, 0, 24, 0] })
    badSize.replaceSubrange(extra + 12..<extra + 20, with: le(1 << 40, 8))
    try assertRefused(badSize, "entry 'r/data.pkl'", "outside the file")
    try assertRefused(ZipBuilder.archive([("r/other", [1])]), "zip has no <root>/data.pkl entry")
    try assertRefused(ZipBuilder.archive([("r/data.pkl", [0x80])], method: 8), "is compressed (method 8)")
    try assertRefused(ZipBuilder.archive([("r/data.pkl", [0x80, 2, 0x7D])]), "r/data.pkl: pickle: at byte 3")
  }

  func testBadStorageReferencesInZip() throws {
    func archive(count: Int32, offset: Int32, size: [Int32], stride: [Int32], dataBytes: Int?) -> [UInt8] {
      var p = PickleBuilder()
      p.tensor(key: "0", count: count, offset: offset, size: size, stride: stride)
      p.stop()
      var entries = [(name: "a/data.pkl", data: p.bytes)]
      if let dataBytes { entries.append(("a/data/0", [UInt8](repeating: 0, count: dataBytes))) }
      return ZipBuilder.archive(entries)
    }
    let ok = try scratch.write(archive(count: 4, offset: 1, size: [3], stride: [1], dataBytes: 16))
    XCTAssertEqual(try Checkpoint.load(path: ok).tensor?.load().toArray(), [0, 0, 0])
    try assertRefused(
      archive(count: 4, offset: 1, size: [3], stride: [1], dataBytes: nil), "storage '0' has no entry a/data/0")
    try assertRefused(
      archive(count: 4, offset: 0, size: [4], stride: [1], dataBytes: 8),
      "storage '0' declares 4 float32 elements but its entry holds 8 bytes")
    try assertRefused(
      archive(count: 4, offset: 3, size: [2], stride: [1], dataBytes: 16), "reaches element 4 of storage '0' holding 4")
    try assertRefused(archive(count: 4, offset: 0, size: [2, 2], stride: [1], dataBytes: 16), "is not a valid view")
    try assertRefused(archive(count: 4, offset: -1, size: [2], stride: [1], dataBytes: 16), "is not a valid view")
    try assertRefused(
      archive(count: 4, offset: 0, size: [1 << 30, 1 << 30], stride: [0, 0], dataBytes: 16), "expands to")
  }

  /// Where each storage of a legacy file starts (its element count) and how many data bytes
  /// follow, found by reading the five pickles in front of them.
  func legacyStorages(_ bytes: [UInt8]) throws -> [(start: Int, dataBytes: Int)] {
    try bytes.withUnsafeBytes { raw in
      var position = 0
      var storages: [String: TorchStorage] = [:]
      var keys: CheckpointValue = .none
      for _ in 0..<5 {
        var u = Unpickler(raw, position: position) { pid in
          let (key, dtype, count) = try TorchStorage.parsePersistentID(pid)
          storages[key] = TorchStorage(key: key, dtype: dtype, count: count)
          return .storage(storages[key]!)
        }
        keys = try u.load()
        position = u.position
      }
      return try XCTUnwrap(keys.elements).map { key in
        let s = try XCTUnwrap(storages[key.string ?? ""])
        defer { position += 8 + s.count * s.dtype.byteSize }
        return (position, s.count * s.dtype.byteSize)
      }
    }
  }

  func testDamagedLegacyFiles() throws {
    let good = try Fixtures.bytes("state_dict_legacy.pt")
    var wrongMagic = good
    wrongMagic[6] ^= 0xFF
    try assertRefused(wrongMagic, "the first pickle is not PyTorch's magic number")
    let storages = try legacyStorages(good)
    XCTAssertEqual(storages.last.map { $0.start + 8 + $0.dataBytes }, good.count, "the walk covers the file")
    let first = storages[0].start
    try assertRefused(Array(good.prefix(first + 4)), "at byte \(first): file ends before its element count")
    let filled = try XCTUnwrap(storages.first { $0.dataBytes > 0 })
    try assertRefused(
      Array(good.prefix(filled.start + 8 + filled.dataBytes - 1)), "at byte \(filled.start): file ends inside its")
    var wrongCount = good
    wrongCount.replaceSubrange(first..<first + 8, with: le(999, 8))
    try assertRefused(wrongCount, "holds 999 elements, the pickle declares")
    try assertRefused(Array(good.prefix(40)), "not a valid checkpoint", "pickle: at byte")
  }

  func testUnknownEmptyAndMissingFiles() throws {
    try assertRefused(Array("hello world, not weights".utf8), "unknown format (first bytes: 68 65 6c")
    try assertRefused([], "the file is empty")
    assertThrows("nope.pt: cannot read") {
      _ = try Checkpoint.load(path: scratch.url.appendingPathComponent("nope.pt").path)
    }
    assertThrows("not a regular file") { _ = try Checkpoint.load(path: scratch.url.path) }
  }

  /// Every truncation and a spread of single-byte corruptions of both torch formats either
  /// load or throw; none may crash or read out of bounds.
  func testCorruptedCopiesNeverCrash() throws {
    for name in ["state_dict.pt", "state_dict_legacy.pt"] {
      let good = try Fixtures.bytes(name)
      var variants: [[UInt8]] = stride(from: 0, to: good.count, by: 241).map { Array(good.prefix($0)) }
      for i in stride(from: 0, to: good.count, by: 29) {
        var b = good
        b[i] ^= UInt8(truncatingIfNeeded: i | 1)
        variants.append(b)
      }
      for bytes in variants {
        let path = try scratch.write(bytes, "fuzz.pt")
        guard let value = try? Checkpoint.load(path: path) else { continue }
        for (_, t) in value.namedTensors() { _ = try? t.load() }
      }
    }
  }
}
