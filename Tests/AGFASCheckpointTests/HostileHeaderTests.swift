import AGFASEngine
import Foundation
import XCTest

@testable import AGFASCheckpoint

/// Findings 4-6 of issue 12 for safetensors: headers are read strictly (offsets tile the
/// data, no duplicate keys, no wrong types), within limits, with messages that say what is wrong.
final class HostileHeaderTests: XCTestCase {
  var scratch: ScratchDir!

  override func setUpWithError() throws { scratch = try ScratchDir() }
  override func tearDown() { scratch = nil }

  /// Asserts that the header (with `payload`) is refused by `Checkpoint.load` with `texts`.
  func assertRefused(
    _ header: String, _ payload: [UInt8] = [], limits: CheckpointLimits = .standard, _ texts: String...,
    line: UInt = #line
  ) throws {
    let path = try scratch.write(HostileFiles.safetensors(header, payload), "h\(UUID().uuidString).safetensors")
    do {
      _ = try Checkpoint.load(path: path, limits: limits)
      XCTFail("accepted \(header)", line: line)
    } catch {
      for t in [path] + texts where !"\(error)".contains(t) { XCTFail("'\(error)' lacks '\(t)'", line: line) }
    }
  }

  let eight = [UInt8](repeating: 0, count: 8)

  func testOffsetsMustTileTheDataWithoutOverlapOrGap() throws {
    try assertRefused(
      #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
      [UInt8](repeating: 0, count: 12), "tensor 'b' (data bytes 4..<12) overlaps tensor 'a'")
    try assertRefused(
      #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
      eight, "overlaps")
    try assertRefused(
      #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
      [UInt8](repeating: 0, count: 12), "data bytes 4..<8 belong to no tensor (a gap before 'b')")
    try assertRefused(
      #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, eight + [0, 0, 0, 0],
      "the tensors cover 8 bytes of data, but the file holds 12")
  }

  func testDuplicateKeysAreErrors() throws {
    let a = #""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
    try assertRefused("{\(a),\(a)}", eight, "key 'a' appears twice in the header")
    try assertRefused(
      #"{"a":{"dtype":"F32","shape":[2],"shape":[2],"data_offsets":[0,8]}}"#, eight, "key 'shape' appears twice")
    try assertRefused(#"{"__metadata__":{"k":"1","k":"2"},\#(a)}"#, eight, "key 'k' appears twice in __metadata__")
  }

  func testWrongTypesAreErrors() throws {
    func entry(_ dtype: String = #""F32""#, shape: String = "[2]", offsets: String = "[0,8]") -> String {
      #"{"a":{"dtype":\#(dtype),"shape":\#(shape),"data_offsets":\#(offsets)}}"#
    }
    try assertRefused(
      entry(shape: "[true]"), eight, "tensor 'a' shape must hold non-negative integers, found a boolean")
    try assertRefused(entry(shape: "[2.0]"), eight, "must hold integers, found a fraction")
    try assertRefused(entry(shape: "[-2]"), eight, "non-negative integers, found a number")
    try assertRefused(entry(shape: "2"), eight, "shape must be an array")
    try assertRefused(entry(shape: "[99999999999999999999]"), eight, "too large")
    try assertRefused(entry("7"), eight, "tensor 'a' dtype must be a string, found a number")
    try assertRefused(entry(offsets: "[0]"), eight, "data_offsets [0] is not [begin, end]")
    try assertRefused(entry(offsets: #"["0","8"]"#), eight, "found a string")
    try assertRefused(#"{"a":{"dtype":"F32","shape":[2]}}"#, eight, "bad header entry for 'a': no data_offsets")
    try assertRefused(#"{"a":[]}"#, eight, "tensor 'a' must be an object, found an array")
    try assertRefused(#"{"__metadata__":{"k":1}}"#, [], "__metadata__ value 'k' must be a string")
    try assertRefused(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} x"#, eight, "text follows")
  }

  func testValidHeadersStillRead() throws {
    // Escapes, padding, unknown keys and null metadata, as other writers produce them.
    let header =
      #"{"__metadata__":{"k":"a\"b\u00e9\ud83d\ude00\n"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":[{"y":null}]}}   "#
    let path = try scratch.write(HostileFiles.safetensors(header, eight), "ok.safetensors")
    let f = try SafeTensorsFile(path: path)
    XCTAssertEqual(f.metadata["k"], "a\"b\u{E9}\u{1F600}\n")
    XCTAssertEqual(try f.tensor("a").toArray(), [0, 0])
    let none = try scratch.write(HostileFiles.safetensors(#"{"__metadata__":null}"#), "empty.safetensors")
    XCTAssertEqual(try StateDict.listing(path: none).count, 0)
  }

  func testHeaderLimitsRefuseEarly() throws {
    var limits = CheckpointLimits()
    limits.maxHeaderEntries = 3
    let entries = (0..<4).map { #""t\#($0)":{"dtype":"U8","shape":[1],"data_offsets":[\#($0),\#($0 + 1)]}"# }
    try assertRefused(
      "{" + entries.joined(separator: ",") + "}", [1, 2, 3, 4], limits: limits, "more than 3 tensors")
    limits = CheckpointLimits()
    limits.maxHeaderBytes = 16
    try assertRefused(
      #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, eight, limits: limits,
      "header of 54 bytes exceeds the limit of 16")
  }

  /// Finding 6: a header length beyond the file is said as such, not "unknown format".
  func testHeaderLongerThanTheFileIsSaidPlainly() throws {
    let bytes = HostileFiles.safetensors(#"{"a":{}}"#, headerLength: 1 << 40)
    let path = try scratch.write(bytes, "long.safetensors")
    assertThrows(path, "safetensors header length 1099511627776 exceeds the file size 16") {
      _ = try Checkpoint.load(path: path)
    }
  }
}
