import AGFASJSON
import Foundation
import XCTest

/// The one scanner every reader of user JSON goes through (issue 12): duplicate keys found
/// wherever they are, with the path of their object; wrong types and bad JSON said as
/// sentences naming the key, never as a `DecodingError` dump.
final class StrictJSONTests: XCTestCase {
  func duplicate(_ json: String) -> StrictJSON.DuplicateKey? { StrictJSON.firstDuplicateKey(in: Data(json.utf8)) }

  func testDuplicateKeysAreFoundWithTheirObjectsPath() {
    XCTAssertEqual(duplicate(#"{"a": 1, "a": 2}"#), .init(key: "a", path: ""))
    XCTAssertEqual(duplicate(#"{"x": {"b": 1, "b": 2}}"#), .init(key: "b", path: "x"))
    XCTAssertEqual(duplicate(#"{"x": {"y": [1, {"c": 1}, {"c": 1, "c": 2}]}}"#), .init(key: "c", path: "x.y[2]"))
    XCTAssertEqual(duplicate(#"[{"k": 1}, {"k": 1}, {}, {"k": 1, "j": [], "k": 2}]"#), .init(key: "k", path: "[3]"))
    XCTAssertEqual(duplicate(#"[[], [[{"k": 1, "k": 1}]]]"#), .init(key: "k", path: "[1][0][0]"))
    // Keys compare decoded: "\u0061" is "a".
    XCTAssertEqual(duplicate(#"{"a": 1, "\u0061": 2}"#)?.key, "a")
    XCTAssertEqual(
      duplicate(#"{"a": 1, "\u0061": 2}"#)?.description, "key 'a' appears twice; remove one")
    XCTAssertEqual(
      duplicate(#"{"x": {"b": 1, "b": 2}}"#)?.description, "key 'b' appears twice in 'x'; remove one")
  }

  func testSoundDocumentsHaveNoDuplicate() {
    for json in [
      #"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}"#, #"{"a": "{\"a\": 1, \"a\"", "b": 1}"#, "[]", "{}", "[[], {}]",
      "3", #""text""#, "\u{FEFF}{\"a\": 1}", #"{"a": [1, -2.5e3, true, false, null, "s"]}"#,
    ] {
      let scan = StrictJSON.scan(Data(json.utf8))
      XCTAssertNil(scan.duplicate, json)
      XCTAssertNil(scan.malformed, json)
    }
  }

  /// Malformed text is said as such, with the byte; nesting costs no stack (200000 levels).
  func testMalformedTextAndDeepNesting() {
    for json in ["", "{", #"{"a" 1}"#, "[1,]", "[1] 2", #"{"a": tru}"#, "{1: 2}", "[\"\u{01}\"]"] {
      XCTAssertNotNil(StrictJSON.scan(Data(json.utf8)).malformed, json)
    }
    XCTAssertTrue(StrictJSON.scan(Data(#"{"a" 1}"#.utf8)).malformed?.contains("at byte 5: expected ':'") == true)
    let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
    XCTAssertEqual(StrictJSON.scan(Data(deep.utf8)).malformed, nil)
    let deepDuplicate = String(repeating: "[", count: 1000) + #"{"k": 1, "k": 2}"# + String(repeating: "]", count: 1000)
    XCTAssertEqual(StrictJSON.firstDuplicateKey(in: Data(deepDuplicate.utf8))?.key, "k")
  }

  struct Config: Decodable, Equatable {
    struct Inner: Decodable, Equatable { var size: Int }
    var name: String
    var inner: Inner
    var list: [Int]?
  }

  func problem(_ json: String) -> StrictJSON.Problem? {
    do {
      _ = try StrictJSON.decode(Config.self, from: Data(json.utf8))
      return nil
    } catch let problem as StrictJSON.Problem {
      return problem
    } catch {
      XCTFail("not a Problem: \(error)")
      return nil
    }
  }

  func testDecodeRefusesDuplicatesAndWrongTypesNamingTheKey() throws {
    XCTAssertEqual(
      try StrictJSON.decode(Config.self, from: Data(#"{"name": "n", "inner": {"size": 2}, "extra": [1]}"#.utf8)),
      Config(name: "n", inner: .init(size: 2), list: nil))
    let dup = problem(#"{"name": "n", "inner": {"size": 2, "size": 3}}"#)
    XCTAssertEqual(dup?.description, "key 'size' appears twice in 'inner'; remove one")
    XCTAssertEqual(dup?.key, "inner.size")
    let wrong = problem(#"{"name": "n", "inner": {"size": "big"}}"#)
    XCTAssertEqual(wrong?.key, "inner.size")
    XCTAssertTrue(wrong?.description.hasPrefix("key 'inner.size': ") == true, "\(String(describing: wrong))")
    let element = problem(#"{"name": "n", "inner": {"size": 1}, "list": [1, true]}"#)
    XCTAssertEqual(element?.key, "list[1]")
    XCTAssertEqual(problem(#"{"inner": {"size": 1}}"#)?.description, "required key 'name' is missing")
    XCTAssertEqual(
      problem(#"{"name": null, "inner": {"size": 1}}"#)?.description, "key 'name': expected String, found null")
    XCTAssertTrue(problem(#"{"name": "#)?.description.hasPrefix("not valid JSON") == true)
    for text in [dup, wrong, element].map({ "\($0!)" }) {
      XCTAssertFalse(text.contains("DecodingError") || text.contains("Context(") || text.contains("codingPath"), text)
    }
  }
}
