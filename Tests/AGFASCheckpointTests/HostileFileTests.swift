import AGFASEngine
import Foundation
import XCTest

@testable import AGFASCheckpoint

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Findings 2 and 3 of issue 12: only regular files are opened (a FIFO would block `open`
/// forever), failures say what they are, and shard indexes cannot lead out of their folder.
final class HostileFileTests: XCTestCase {
  var scratch: ScratchDir!

  override func setUpWithError() throws { scratch = try ScratchDir() }
  override func tearDown() { scratch = nil }

  func path(_ name: String) -> String { scratch.url.appendingPathComponent(name).path }

  func folder(_ name: String) throws -> String {
    try FileManager.default.createDirectory(atPath: path(name), withIntermediateDirectories: true)
    return path(name)
  }

  /// A small valid safetensors file.
  var valid: [UInt8] {
    HostileFiles.safetensors(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 128, 63])
  }

  func testFIFOsAreRefusedWithoutBlocking() throws {
    let direct = path("direct.safetensors")
    try HostileFiles.fifo(direct)
    let single = try folder("single")
    try HostileFiles.fifo(single + "/model.safetensors")
    let sharded = try folder("sharded")
    _ = try scratch.write(
      Array(#"{"weight_map": {"w": "model-00001-of-00001.safetensors"}}"#.utf8), "sharded/model.safetensors.index.json")
    try HostileFiles.fifo(sharded + "/model-00001-of-00001.safetensors")
    let fifoIndex = try folder("fifo-index")
    try HostileFiles.fifo(fifoIndex + "/model.safetensors.index.json")
    let fifos = [
      direct, single + "/model.safetensors", sharded + "/model-00001-of-00001.safetensors",
      fifoIndex + "/model.safetensors.index.json",
    ]
    HostileFiles.withinSeconds(20, releasing: fifos) {
      assertThrows(direct, "is a FIFO (named pipe), not a regular file") { _ = try Checkpoint.load(path: direct) }
      assertThrows("FIFO") { _ = try StateDict.listing(path: direct) }
      assertThrows(single + "/model.safetensors", "is a FIFO") { _ = try StateDict.listing(path: single) }
      assertThrows("model-00001-of-00001.safetensors", "is a FIFO") { _ = try StateDict.load(path: sharded) }
      assertThrows("model.safetensors.index.json", "is a FIFO") { _ = try ModelFolder(path: fifoIndex) }
    }
  }

  func testDevicesAndFoldersAreNamedForWhatTheyAre() {
    assertThrows("/dev/null: cannot read: is a character device, not a regular file") {
      _ = try Checkpoint.load(path: "/dev/null")
    }
    assertThrows("is a folder, not a regular file") { _ = try Checkpoint.load(path: scratch.url.path) }
  }

  func testSymlinkLoopsAndDanglingLinksSayWhatTheyAre() throws {
    let a = path("a.safetensors")
    let b = path("b.safetensors")
    try FileManager.default.createSymbolicLink(atPath: a, withDestinationPath: b)
    try FileManager.default.createSymbolicLink(atPath: b, withDestinationPath: a)
    assertThrows(a, "symlink loop") { _ = try Checkpoint.load(path: a) }
    assertThrows(a, "symlink loop") { _ = try StateDict.listing(path: a) }
    let loopFolder = try folder("loop")
    try FileManager.default.createSymbolicLink(atPath: loopFolder + "/model.safetensors", withDestinationPath: a)
    assertThrows("symlink loop") { _ = try StateDict.listing(path: loopFolder) }
    let dangling = path("dangling.pt")
    try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: path("gone.pt"))
    assertThrows(dangling, "is a symlink to something that does not exist") { _ = try Checkpoint.load(path: dangling) }
  }

  /// A folder whose name is not UTF-8 (Latin-1 "café"), given on the command line: Swift
  /// hands it to us with U+FFFD in place of the byte, and it must still be found.
  func testNamesThatAreNotUTF8AreFoundNotCalledMissing() throws {
    let raw = Array(scratch.url.path.utf8) + Array("/caf".utf8) + [0xE9]
    XCTAssertEqual(mkdir(raw.map { CChar(bitPattern: $0) } + [0], 0o700), 0)
    let file = raw + Array("/model.safetensors".utf8)
    let fd = open(file.map { CChar(bitPattern: $0) } + [0], O_WRONLY | O_CREAT, 0o600)
    XCTAssertGreaterThanOrEqual(fd, 0)
    _ = valid.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    let decoded = String(decoding: raw, as: UTF8.self)
    XCTAssertTrue(decoded.hasSuffix("caf\u{FFFD}"))

    // Not named on the command line: the message explains the U+FFFD rather than just "missing".
    assertThrows("not UTF-8") { _ = try StateDict.listing(path: decoded) }
    // Named on the command line (as `agfas inspect` gets it): the argument's bytes are used.
    XCTAssertEqual(SystemPath.original(decoded + "/model.safetensors", arguments: [raw]), file)
    let last = Int(CommandLine.argc) - 1
    let saved = CommandLine.unsafeArgv[last]
    let substitute = strdup(raw.map { CChar(bitPattern: $0) } + [0])
    CommandLine.unsafeArgv[last] = substitute
    defer {
      CommandLine.unsafeArgv[last] = saved
      free(substitute)
    }
    XCTAssertEqual(try StateDict.listing(path: decoded).map(\.name), ["w"])
    XCTAssertEqual(try StateDict.load(path: decoded + "/model.safetensors")["w"]?.toArray(), [1])
  }

  func testShardIndexesCannotLeadOutOfTheirFolder() throws {
    _ = try folder("st")
    _ = try scratch.write(valid, "st/x.safetensors")
    let model = try folder("models/m")
    _ = try scratch.write(
      Array(#"{"weight_map": {"w": "../../st/x.safetensors"}}"#.utf8), "models/m/model.safetensors.index.json")
    assertThrows("model.safetensors.index.json", "shard '../../st/x.safetensors'", "outside the model folder") {
      _ = try StateDict.load(path: model)
    }
    // A symlink inside the folder that points out of it is refused the same way.
    let linked = try folder("models/linked")
    try FileManager.default.createSymbolicLink(
      atPath: linked + "/s.safetensors", withDestinationPath: path("st/x.safetensors"))
    _ = try scratch.write(
      Array(#"{"weight_map": {"w": "s.safetensors"}}"#.utf8), "models/linked/model.safetensors.index.json")
    assertThrows("shard 's.safetensors'", "outside the model folder") { _ = try ModelFolder(path: linked) }
    // An absolute path too.
    let absolute = try folder("models/absolute")
    _ = try scratch.write(
      Array("{\"weight_map\": {\"w\": \"\(path("st/x.safetensors"))\"}}".utf8),
      "models/absolute/model.safetensors.index.json")
    assertThrows("outside the model folder") { _ = try ModelFolder(path: absolute) }
    // A shard in a subfolder, inside, is fine; a missing one is named with the index.
    let nested = try folder("models/nested/sub")
    _ = try scratch.write(valid, "models/nested/sub/y.safetensors")
    _ = try scratch.write(
      Array(#"{"weight_map": {"w": "sub/y.safetensors"}}"#.utf8), "models/nested/model.safetensors.index.json")
    XCTAssertEqual(try StateDict.load(path: path("models/nested"))["w"]?.toArray(), [1])
    XCTAssertTrue(nested.hasSuffix("sub"))
    _ = try scratch.write(
      Array(#"{"weight_map": {"w": "none.safetensors"}}"#.utf8), "models/nested/model.safetensors.index.json")
    assertThrows("none.safetensors", "shard named by", "no such file") {
      _ = try ModelFolder(path: path("models/nested"))
    }
  }
}
