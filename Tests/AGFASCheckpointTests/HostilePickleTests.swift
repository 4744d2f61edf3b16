import AGFASEngine
import Foundation
import XCTest

@testable import AGFASCheckpoint

/// Findings 4, 6 and 7 of issue 12 for pickles and names: object budgets proportional to
/// the file, a plain sentence for a pickle that is not a checkpoint, and names from files
/// escaped wherever they are printed.
final class HostilePickleTests: XCTestCase {
  var scratch: ScratchDir!

  override func setUpWithError() throws { scratch = try ScratchDir() }
  override func tearDown() { scratch = nil }

  /// A protocol-2 pickle of a list of `n` small ints (2 bytes each: BININT1 0).
  func intList(_ n: Int) -> [UInt8] {
    var p = PickleBuilder()
    p.op(0x5D, 0x28)  // EMPTY_LIST, MARK
    for _ in 0..<n { p.op(0x4B, 0) }
    p.op(0x65)  // APPENDS
    p.stop()
    return p.bytes
  }

  func testPickleObjectBudgetFollowsTheFileSize() throws {
    var limits = CheckpointLimits()
    limits.minPickleObjects = 1000
    limits.fileBytesPerPickleObject = 8
    XCTAssertEqual(limits.pickleObjects(fileBytes: 100), 1000)
    XCTAssertEqual(limits.pickleObjects(fileBytes: 80_000), 10_000)
    // 5000 items in a 10 kB file: 1250 objects allowed, refused while reading, not after.
    let path = try scratch.write(intList(5000), "many.pkl")
    assertThrows(path, "makes more than 1250 objects") { _ = try Checkpoint.load(path: path, limits: limits) }
    // The standard limits: a million objects at least, however small the file.
    XCTAssertEqual(try Unpickler.load(intList(1000)).elements?.count, 1000)
    assertThrows("makes more than 1000000 objects") { _ = try Unpickler.load(self.intList(1_100_000)) }
  }

  func testRealCheckpointsFitTheStandardBudget() throws {
    let limits = CheckpointLimits.standard
    for name in ["state_dict.pt", "state_dict_legacy.pt", "training.pth"] {
      XCTAssertFalse(try Checkpoint.load(path: Fixtures.path(name), limits: limits).namedTensors().isEmpty, name)
    }
  }

  /// Finding 6: a plain pickle says what it is and what was expected.
  func testPlainPickleIsExplained() throws {
    let pkl = Fixtures.path("malicious.pkl")
    assertThrows(
      pkl, "refused to load the file, a plain Python pickle and not a PyTorch checkpoint",
      "starts with PyTorch's magic number", "global 'posix.system' is not allowed", "cannot run code"
    ) { _ = try Checkpoint.load(path: pkl) }
    do {
      _ = try Checkpoint.load(path: pkl)
    } catch {
      XCTAssertFalse("\(error)".contains("magic number pickle"), "\(error)")
    }
  }

  /// Finding 7: control characters in names are escaped in the listing and in errors.
  func testNamesFromFilesAreEscaped() throws {
    let red = #"{"\u001b[31mred\tx\ny":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
    let listed = try scratch.write(HostileFiles.safetensors(red, [0, 0, 0, 0]), "listed.safetensors")
    let tsv = ListingFormat.tsv(try StateDict.listing(path: listed))
    XCTAssertEqual(tsv, "\\u{1B}[31mred\\u{9}x\\u{A}y\tfloat32\t1")
    let json = try ListingFormat.json(try StateDict.listing(path: listed))
    XCTAssertFalse(json.unicodeScalars.contains("\u{1B}"), json)

    let bidi = #"{"b\u202e":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#
    let refused = try scratch.write(HostileFiles.safetensors(bidi, [UInt8](repeating: 0, count: 8)), "bad.safetensors")
    assertThrows("tensor 'b\\u{202E}' has unsupported dtype C64") { _ = try Checkpoint.load(path: refused) }

    var p = PickleBuilder()
    p.global("os\u{1B}]0;pwned\u{7}", "system")
    p.stop()
    let pkl = try scratch.write(p.bytes, "esc.pkl")
    do {
      _ = try Checkpoint.load(path: pkl)
      XCTFail("loaded a forbidden global")
    } catch {
      let message = "\(error)"
      XCTAssertFalse(message.unicodeScalars.contains { $0.value < 0x20 }, message)
      XCTAssertTrue(message.contains("global 'os\\u{1B}]0;pwned\\u{7}.system' is not allowed"), message)
    }
  }

  func testEscapingLeavesOrdinaryTextAlone() {
    XCTAssertEqual(ControlCharacters.escaped("conv1.weight é 漢"), "conv1.weight é 漢")
    XCTAssertEqual(ControlCharacters.escaped("a\u{0}b\u{7F}c\u{9B}d\u{2066}"), "a\\u{0}b\\u{7F}c\\u{9B}d\\u{2066}")
  }
}
