/// A strict, minimal JSON reader over raw bytes: safetensors headers are read with it value by
/// value, and every JSON file a user hands to AGFAS is scanned with it for duplicate keys
/// (`StrictJSON`).
///
/// Foundation's `JSONSerialization` keeps one of two duplicate keys without a word, turns
/// `true` into the number 1 when asked for an `[Int]`, and builds an object graph costing
/// kilobytes per header entry. This cursor reads exactly the values a header holds straight
/// into Swift values, so duplicate keys and wrong types are errors and memory stays a small
/// multiple of the header. Errors are plain strings; the caller adds the file name.
public struct JSONCursor {
  public struct Failure: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
  }

  public let bytes: UnsafeRawBufferPointer
  public private(set) var position = 0
  /// Nesting allowed in values that are skipped (unknown keys), so recursion stays shallow.
  public static let maxDepth = 64

  /// A cursor at the start of `bytes`, which must stay valid while it is used.
  public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  /// A failure at the current position.
  public func fail(_ reason: String) -> Failure { Failure(reason: "at byte \(position): \(reason)") }

  public var atEnd: Bool { position >= bytes.count }

  /// Moves past a UTF-8 byte order mark, if the bytes start with one (Foundation accepts it).
  public mutating func skipByteOrderMark() {
    if position == 0, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
  }

  public mutating func skipWhitespace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x09, 0x0A, 0x0D: position += 1
      default: return
      }
    }
  }

  /// The next non-blank byte, not consumed; nil at the end.
  public mutating func peek() -> UInt8? {
    skipWhitespace()
    return atEnd ? nil : bytes[position]
  }

  // Scalars, not Characters: a Character's `asciiValue` costs a string walk per call.
  public mutating func expect(_ c: Unicode.Scalar) throws {
    guard peek() == UInt8(ascii: c) else { throw fail("expected '\(c)', found \(found())") }
    position += 1
  }

  /// Consumes `c` if it is next.
  public mutating func take(_ c: Unicode.Scalar) -> Bool {
    guard peek() == UInt8(ascii: c) else { return false }
    position += 1
    return true
  }

  /// What the next value is, for error messages.
  public mutating func found() -> String {
    guard let c = peek() else { return "the end of the text" }
    switch c {
    case UInt8(ascii: "{"): return "an object"
    case UInt8(ascii: "["): return "an array"
    case UInt8(ascii: "\""): return "a string"
    case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
    case UInt8(ascii: "n"): return "null"
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return "a number"
    default: return "byte 0x\(String(c, radix: 16))"
    }
  }

  /// Members of an object, calling `member` with each key (the cursor then at its value);
  /// a key seen twice is an error, as the safetensors library makes it.
  public mutating func object(_ what: String, _ member: (inout JSONCursor, String) throws -> Void) throws {
    guard peek() == UInt8(ascii: "{") else { throw fail("\(what) must be an object, found \(found())") }
    position += 1
    var seen = Set<String>()
    if take("}") { return }
    repeat {
      let key = try string("a key in \(what)")
      guard seen.insert(key).inserted else { throw fail("key '\(key)' appears twice in \(what)") }
      try expect(":")
      try member(&self, key)
    } while take(",")
    try expect("}")
  }

  /// An array of non-negative integers.
  public mutating func integers(_ what: String) throws -> [Int] {
    guard take("[") else { throw fail("\(what) must be an array of non-negative integers, found \(found())") }
    var out: [Int] = []
    if take("]") { return out }
    repeat { out.append(try integer(what)) } while take(",")
    try expect("]")
    return out
  }

  /// A non-negative integer written without fraction or exponent, that fits in `Int`.
  public mutating func integer(_ what: String) throws -> Int {
    guard let c = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else {
      throw fail("\(what) must hold non-negative integers, found \(found())")
    }
    let start = position
    var value = 0
    while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(Int(bytes[position] - UInt8(ascii: "0")))
      guard !o1, !o2 else { throw fail("\(what) holds an integer too large for this machine") }
      value = a
      position += 1
    }
    guard !(bytes[start] == UInt8(ascii: "0") && position - start > 1) else {
      throw fail("\(what) holds a number with a leading zero")
    }
    if position < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) {
      throw fail("\(what) must hold integers, found a fraction or exponent")
    }
    return value
  }

  /// A string, escapes decoded; it must be valid UTF-8 without raw control characters.
  public mutating func string(_ what: String) throws -> String {
    guard take("\"") else { throw fail("\(what) must be a string, found \(found())") }
    // Fast path: most strings have no escapes; decode them straight from the header bytes.
    var end = position
    while end < bytes.count, bytes[end] != 0x22, bytes[end] != 0x5C, bytes[end] >= 0x20 { end += 1 }
    if end < bytes.count, bytes[end] == 0x22 {
      guard let s = String(validating: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self) else {
        throw fail("\(what) is not valid UTF-8")
      }
      position = end + 1
      return s
    }
    var out: [UInt8] = Array(bytes[position..<end])
    position = end
    while true {
      guard position < bytes.count else { throw fail("\(what): the string never ends") }
      let c = bytes[position]
      position += 1
      switch c {
      case UInt8(ascii: "\""):
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("\(what) is not valid UTF-8") }
        return s
      case UInt8(ascii: "\\"): try escape(into: &out, what)
      case 0..<0x20: throw fail("\(what) holds a raw control character (0x\(String(c, radix: 16)))")
      default: out.append(c)
      }
    }
  }

  private mutating func escape(into out: inout [UInt8], _ what: String) throws {
    guard position < bytes.count else { throw fail("\(what): the string never ends") }
    let c = bytes[position]
    position += 1
    let simple: [UInt8: UInt8] = [
      0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C,
      UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
    ]
    if let s = simple[c] {
      out.append(s)
      return
    }
    guard c == UInt8(ascii: "u") else {
      throw fail("\(what) holds an unknown escape '\\\(Character(Unicode.Scalar(c)))'")
    }
    var unit = try hex4(what)
    if (0xD800..<0xDC00).contains(unit) {  // a high surrogate must be followed by a low one
      guard position + 1 < bytes.count, bytes[position] == 0x5C, bytes[position + 1] == UInt8(ascii: "u") else {
        throw fail("\(what) holds an unpaired surrogate")
      }
      position += 2
      let low = try hex4(what)
      guard (0xDC00..<0xE000).contains(low) else { throw fail("\(what) holds an unpaired surrogate") }
      unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
    }
    guard let scalar = Unicode.Scalar(unit) else { throw fail("\(what) holds an unpaired surrogate") }
    out.append(contentsOf: Array(String(Character(scalar)).utf8))
  }

  private mutating func hex4(_ what: String) throws -> UInt32 {
    guard position + 4 <= bytes.count,
      let v = UInt32(
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<position + 4]), as: UTF8.self), radix: 16)
    else { throw fail("\(what) holds a bad \\u escape") }
    position += 4
    return v
  }

  /// Skips any value (an entry's unknown keys), refusing nesting deeper than `maxDepth`.
  public mutating func skipValue(_ what: String, depth: Int = 0) throws {
    guard depth < Self.maxDepth else { throw fail("\(what) is nested deeper than \(Self.maxDepth)") }
    switch peek() {
    case UInt8(ascii: "{"): try object(what) { cursor, _ in try cursor.skipValue(what, depth: depth + 1) }
    case UInt8(ascii: "["):
      position += 1
      if take("]") { return }
      repeat { try skipValue(what, depth: depth + 1) } while take(",")
      try expect("]")
    case UInt8(ascii: "\""): _ = try string(what)
    case UInt8(ascii: "-"):
      position += 1
      try skipNumber(what)
    case let c? where (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c): try skipNumber(what)
    default:
      for word in ["true", "false", "null"] where bytes[position...].starts(with: word.utf8) {
        position += word.utf8.count
        return
      }
      throw fail("\(what) holds \(found()), not a JSON value")
    }
  }

  private mutating func skipNumber(_ what: String) throws {
    let start = position
    let allowed = Set("0123456789.eE+-".utf8)
    while position < bytes.count, allowed.contains(bytes[position]) { position += 1 }
    guard Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)) != nil
    else { throw fail("\(what) holds a malformed number") }
  }

  /// A number of any form, as a `Double`; the caller says what else may stand here.
  public mutating func number(_ what: String) throws -> Double {
    guard let c = peek(), c == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else {
      throw fail("\(what) must be a number, found \(found())")
    }
    let start = position
    try skipNumber(what)
    guard
      let value = Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
    else { throw fail("\(what) holds a malformed number") }
    return value
  }
}
