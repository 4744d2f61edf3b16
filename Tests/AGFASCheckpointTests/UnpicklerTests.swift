import AGFASCheckpoint
import Foundation
import XCTest

/// The safe unpickler: Python's values come out right in every protocol, code never runs.
final class UnpicklerTests: XCTestCase {
  func testPlainValuesInProtocols2To5() throws {
    for proto in 2...5 {
      let v = try Unpickler.load(Fixtures.bytes("values_p\(proto).pkl"))
      let what = "protocol \(proto)"
      XCTAssertEqual(v["int"]?.int, 1, what)
      XCTAssertEqual(v["neg"]?.int, -5, what)
      XCTAssertEqual(v["i32"]?.int, -(1 << 31), what)
      XCTAssertEqual(v["i64"]?.int, 1 << 62, what)
      guard case .bigInt(let big)? = v["big"], case .bigInt(let negBig)? = v["negbig"] else {
        return XCTFail("big ints: \(what)")
      }
      XCTAssertEqual(big, [0, 0, 0, 0, 0, 0, 0, 0, 0x40], what)
      XCTAssertEqual(negBig, [0, 0, 0, 0, 0, 0, 0, 0, 0xC0], what)
      XCTAssertEqual(v["float"]?.double, 1.5, what)
      XCTAssertEqual(v["str"]?.string, "héllo", what)
      XCTAssertEqual(v["long_str"]?.string, String(repeating: "x", count: 300), what)
      guard case .bytes(let bytes)? = v["bytes"] else { return XCTFail("bytes: \(what)") }
      XCTAssertEqual(bytes, [0, 255], what)
      if case .none? = v["none"] {} else { XCTFail("none: \(what)") }
      XCTAssertEqual(v["true"]?.bool, true, what)
      XCTAssertEqual(v["false"]?.bool, false, what)
      XCTAssertEqual(v["tuple1"]?.description, "(1,)", what)
      XCTAssertEqual(v["tuple4"]?.description, "(1, 2, 3, 4)", what)
      XCTAssertEqual(v["nested"]?.description, "[1, [2, (3, 'a')]]", what)
      XCTAssertEqual(v["set"]?.description, "[1, 2, 3]", what)
      XCTAssertEqual(v["frozenset"]?.description, "[5]", what)
      XCTAssertEqual(v["int_keys"]?.description, "{1: 'a', 2: 'b'}", what)
      XCTAssertEqual(v["ordered"]?.description, "{'z': 1, 'a': 2}", what)
      XCTAssertEqual(v["shared_a"]?.description, "[1, 2]", what)
      XCTAssertEqual(v["shared_b"]?.description, "[1, 2]", what)
      XCTAssertEqual(v["range"]?.elements?.compactMap(\.int), Array(0..<1500), what)
      XCTAssertEqual(v["strings"]?.elements?.compactMap(\.string), (0..<300).map { "s\($0)" }, what)
    }
  }

  /// numpy scalars (the AG-FAS reference's checkpoints keep their metrics so) decode to plain
  /// numbers, under numpy 1's module name as under numpy 2's (training.pth).
  func testNumpyScalarsDecodeToNumbers() throws {
    let v = try Unpickler.load(Fixtures.bytes("numpy1_scalars.pkl"))
    XCTAssertEqual(v["hter"]?.double, 0.125)
    XCTAssertEqual(v["n"]?.int, 7)
    if case .bool(false)? = v["flag"] {} else { XCTFail("flag is \(String(describing: v["flag"]))") }

    // Damaged or unusual scalars are named, never read wrongly: a big-endian dtype, an
    // unsupported type code, a byte count that does not fit the type.
    let bytes = try Fixtures.bytes("numpy1_scalars.pkl")
    func replacing(_ old: [UInt8], _ new: [UInt8]) -> [UInt8] {
      var out = bytes
      if let r = out.firstRange(of: old) { out.replaceSubrange(r, with: new) }
      XCTAssertNotEqual(out, bytes, "the fixture holds \(old)")
      return out
    }
    let unicode: (String) -> [UInt8] = { [0x58, UInt8($0.utf8.count), 0, 0, 0] + Array($0.utf8) }
    assertThrows("big-endian numpy scalar of dtype f8") {
      _ = try Unpickler.load(replacing(unicode("<"), unicode(">")))
    }
    assertThrows("numpy scalar of dtype 'c8' is not supported") {
      _ = try Unpickler.load(replacing(unicode("f8"), unicode("c8")))
    }
    assertThrows("numpy i4 scalar of 8 bytes") {
      _ = try Unpickler.load(replacing(unicode("f8"), unicode("i4")))
    }
  }

  func testShellCommandPicklesAreRefusedAndNothingRuns() throws {
    let marker = "/tmp/agfas-pwned"
    try? FileManager.default.removeItem(atPath: marker)
    assertThrows("pickle: global 'posix.system' is not allowed") {
      _ = try Unpickler.load(Fixtures.bytes("malicious.pkl"))
    }
    assertThrows("pickle: global 'builtins.eval' is not allowed") {
      _ = try Unpickler.load(Fixtures.bytes("malicious_p4.pkl"))
    }
    let pt = Fixtures.path("malicious.pt")
    assertThrows(pt, "refused to load", "global 'posix.system' is not allowed") { _ = try Checkpoint.load(path: pt) }
    let pkl = Fixtures.path("malicious.pkl")
    assertThrows(pkl, "global 'posix.system' is not allowed") { _ = try Checkpoint.load(path: pkl) }
    XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "a refused pickle ran its command")
  }

  func testEveryWayToNameAGlobalIsChecked() throws {
    var inst = PickleBuilder()
    inst.op(0x28, 0x69)  // MARK, INST
    inst.text("subprocess")
    inst.text("Popen")
    inst.stop()
    assertThrows("global 'subprocess.Popen' is not allowed") { _ = try Unpickler.load(inst.bytes) }

    var stackGlobal = PickleBuilder()
    stackGlobal.string("os")
    stackGlobal.string("system")
    stackGlobal.op(0x93)
    stackGlobal.stop()
    assertThrows("global 'os.system' is not allowed") { _ = try Unpickler.load(stackGlobal.bytes) }

    // An allowed name that is not a function stays inert data and cannot be called.
    var callStorage = PickleBuilder()
    callStorage.global("torch", "FloatStorage")
    callStorage.op(0x29, 0x52)
    callStorage.stop()
    assertThrows("torch.FloatStorage cannot be called") { _ = try Unpickler.load(callStorage.bytes) }
  }

  func testDamagedPicklesGiveClearErrors() throws {
    let values = try Fixtures.bytes("values_p2.pkl")
    assertThrows("pickle: at byte", "past the end") { _ = try Unpickler.load(Array(values.prefix(200))) }
    assertThrows("pickle: at byte 2: unsupported opcode 0xff") { _ = try Unpickler.load([0x80, 2, 0xFF]) }
    assertThrows("at byte 2: stack underflow") { _ = try Unpickler.load([0x80, 2, 0x2E]) }
    assertThrows("memo 9 is unset") { _ = try Unpickler.load([0x80, 2, 0x68, 9, 0x2E]) }
    assertThrows("SETITEM needs a dict below it") { _ = try Unpickler.load([0x80, 2, 0x5D, 0x4E, 0x4E, 0x73, 0x2E]) }
    assertThrows("length 4294967295 runs past the end") {
      _ = try Unpickler.load([0x80, 2, 0x58, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E])
    }
    assertThrows("persistent id in a pickle that cannot name storages") {
      _ = try Unpickler.load([0x80, 2, 0x4E, 0x51, 0x2E])
    }
  }

  /// Nesting, self-reference and exponential sharing are refused without exhausting the
  /// stack or memory.
  func testHostileStructuresAreRefused() throws {
    var deepLists = PickleBuilder()
    deepLists.op(0x5D)
    deepLists.put(0)
    for i in 1...100_000 {  // each new list goes into the previous one, top-down via the memo
      deepLists.op(0x5D)
      deepLists.put(i)
      deepLists.op(0x61, 0x30)  // APPEND, POP
      deepLists.get(i)
    }
    deepLists.op(0x30)
    deepLists.get(0)
    deepLists.stop()
    assertThrows("nested deeper than 200") { _ = try Unpickler.load(deepLists.bytes) }

    var deepTuples = PickleBuilder()
    deepTuples.op(0x29)
    deepTuples.bytes += [UInt8](repeating: 0x85, count: 100_000)  // TUPLE1 around the last
    deepTuples.stop()
    assertThrows("nested deeper than 200") { _ = try Unpickler.load(deepTuples.bytes) }

    var cycle = PickleBuilder()
    cycle.op(0x5D)
    cycle.put(0)
    cycle.get(0)
    cycle.op(0x61)  // the list appended to itself
    cycle.stop()
    assertThrows("a container contains itself") { _ = try Unpickler.load(cycle.bytes) }

    var laughs = PickleBuilder()
    laughs.op(0x5D)
    laughs.put(0)
    for i in 1...64 {  // list i holds list i-1 twice: 2^64 leaves when expanded
      laughs.op(0x28)
      laughs.get(i - 1)
      laughs.get(i - 1)
      laughs.op(0x6C)
      laughs.put(i)
    }
    laughs.stop()
    assertThrows("describes more than") { _ = try Unpickler.load(laughs.bytes) }
  }
}
