import AGFASCheckpoint
import AGFASEngine
import Foundation
import XCTest

/// The safetensors reader: real values out of a well-formed file, clear errors from damaged ones.
final class SafeTensorsTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-st-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  /// Writes a file from a header string and raw data, optionally lying about the header length.
  func write(_ header: String, _ payload: [UInt8], headerLength: UInt64? = nil, truncateTo: Int? = nil) throws -> String
  {
    let h = Array(header.utf8)
    let n = headerLength ?? UInt64(h.count)
    var bytes = (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + h + payload
    if let truncateTo { bytes = Array(bytes.prefix(truncateTo)) }
    let url = dir.appendingPathComponent("t\(UUID().uuidString).safetensors")
    try Data(bytes).write(to: url)
    return url.path
  }

  func floats(_ v: [Float]) -> [UInt8] {
    v.flatMap { f in (0..<4).map { UInt8(truncatingIfNeeded: f.bitPattern >> (8 * UInt32($0))) } }
  }

  func testReadsF32BF16AndMetadata() throws {
    let bf16: [UInt8] = [0x80, 0x3F, 0x00, 0xC0]  // 1.0, -2.0
    let header =
      #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]}}"#
    let path = try write(header, floats([1, 2, 3, 4.5]) + bf16)
    let f = try SafeTensorsFile(path: path)
    XCTAssertEqual(f.names, ["a", "b"])
    XCTAssertEqual(f.metadata, ["k": "v"])
    let a = try f.tensor("a")
    XCTAssertEqual(a.shape, [2, 2])
    XCTAssertEqual(a.toArray(), [1, 2, 3, 4.5])
    let b = try f.tensor("b")
    XCTAssertEqual(b.dtype, .bfloat16)
    XCTAssertEqual(b.toArray(), [1, -2])
  }

  func expectMalformed(_ path: String, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try SafeTensorsFile(path: path), file: file, line: line) { e in
      XCTAssertTrue("\(e)".contains(text), "message '\(e)' lacks '\(text)'", file: file, line: line)
      XCTAssertTrue("\(e)".contains(path), "message names the file", file: file, line: line)
    }
  }

  func testDamagedFilesGiveClearErrors() throws {
    let good = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    expectMalformed(try write(good, floats([1, 2]), truncateTo: 5), contains: "shorter than the 8-byte header")
    expectMalformed(try write(good, floats([1, 2]), headerLength: 1 << 40), contains: "exceeds the file size")
    expectMalformed(try write("not json at all", []), contains: "not a JSON object")
    expectMalformed(try write(good, floats([1])), contains: "bad header entry for 'a'")
    expectMalformed(
      try write(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, floats([1, 2])),
      contains: "8 bytes for shape [3]")
    expectMalformed(
      try write(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, floats([1, 2])),
      contains: "bad header entry")
    XCTAssertThrowsError(
      try SafeTensorsFile(path: write(#"{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#, floats([1, 2])))
    ) { e in XCTAssertTrue("\(e)".contains("unsupported dtype C64"), "\(e)") }
  }

  func testMissingFileAndTensorAreNamed() throws {
    XCTAssertThrowsError(try SafeTensorsFile(path: dir.appendingPathComponent("nope.safetensors").path)) { e in
      XCTAssertTrue("\(e)".contains("nope.safetensors: cannot read"), "\(e)")
    }
    let f = try SafeTensorsFile(path: write(#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#, floats([7])))
    XCTAssertEqual(try f.tensor("a").item(), 7)
    XCTAssertThrowsError(try f.tensor("b")) { e in XCTAssertTrue("\(e)".contains("no tensor named 'b'"), "\(e)") }
  }
}
