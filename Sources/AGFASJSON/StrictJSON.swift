import Foundation

/// JSON files as a reader of them sees them: a key written twice is an error, and so is a value
/// of the wrong type, each said as a sentence naming the key and where it is.
///
/// Foundation's `JSONSerialization` and `JSONDecoder` silently keep one of two equal keys, so
/// `{"hidden_size": 768, "hidden_size": 7680}` would load a model other than the one a reader of
/// the file sees, and `DecodingError` prints as a debug dump
/// (`typeMismatch(Swift.Int, Context(codingPath: [...], ...))`). Every reader of a JSON file a
/// user hands to AGFAS (model configs, shard indexes, label files) goes through here: one
/// scanner (`JSONCursor`), one rule, one wording. Messages do not name the file; callers do.
public enum StrictJSON {
  /// A key that appears twice in one object. `path` is that object's place in the document
  /// (`"vit"`, `"layers[2]"`, `"[3]"` for the fourth element of a top-level array; empty for
  /// the top-level object).
  public struct DuplicateKey: Equatable, Sendable, CustomStringConvertible {
    public let key: String
    public let path: String

    public init(key: String, path: String) {
      self.key = key
      self.path = path
    }

    public var description: String {
      "key '\(key)' appears twice\(path.isEmpty ? "" : " in '\(path)'"); remove one"
    }
  }

  /// What is wrong with a JSON document, as a sentence without the file name.
  public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    /// The key at fault, where one is (`"vit.hidden_size"`, `"weight_map"`).
    public let key: String?

    public init(_ description: String, key: String? = nil) {
      self.description = description
      self.key = key
    }
  }

  /// The outcome of a scan: the first duplicate key, or why the text is not JSON the scanner
  /// reads (nil reason and nil duplicate: sound, no key twice).
  public struct Scan: Sendable {
    public var duplicate: DuplicateKey?
    public var malformed: String?

    public init(duplicate: DuplicateKey? = nil, malformed: String? = nil) {
      self.duplicate = duplicate
      self.malformed = malformed
    }
  }

  /// Scans the whole document once, without building it, for a key written twice in the same
  /// object (escaped spellings compared decoded: `"\u0061"` is `"a"`). Iterative, so deep
  /// nesting costs memory in proportion to the file, not stack.
  public static func scan(_ data: Data) -> Scan {
    data.withUnsafeBytes { scan($0) }
  }

  /// An open object or array during a scan.
  private struct Frame {
    let isObject: Bool
    /// How its parent names it: a key, `[i]`, or empty for the document itself.
    let name: String
    /// An object's keys so far.
    var keys: Set<String> = []
    /// An object's latest key.
    var lastKey = ""
    /// An array's elements so far, less one.
    var count = 0

    /// How this container names the value being read in it.
    var child: String { isObject ? lastKey : "[\(count)]" }
  }

  /// The path of the innermost container (`"x.y[2]"`), built only when a duplicate is found
  /// (each frame keeps its own name only, so deep nesting stays linear).
  private static func path(_ stack: [Frame]) -> String {
    var out = ""
    for frame in stack where !frame.name.isEmpty {
      out += out.isEmpty || frame.name.hasPrefix("[") ? frame.name : "." + frame.name
    }
    return out
  }

  public static func scan(_ bytes: UnsafeRawBufferPointer) -> Scan {
    var cursor = JSONCursor(bytes)
    cursor.skipByteOrderMark()
    var stack: [Frame] = []
    do {
      while true {
        // A value starts here.
        switch cursor.peek() {
        case let c? where c == UInt8(ascii: "{") || c == UInt8(ascii: "["):
          let isObject = c == UInt8(ascii: "{")
          try cursor.expect(isObject ? "{" : "[")
          stack.append(Frame(isObject: isObject, name: stack.last?.child ?? ""))
          if !cursor.take(isObject ? "}" : "]") {
            if isObject, let duplicate = try key(&cursor, &stack) { return Scan(duplicate: duplicate) }
            continue
          }
          stack.removeLast()
        default:
          try cursor.skipValue("a value")
        }
        // A value ended: the next member or element, or the end of its container(s).
        while let top = stack.last {
          if cursor.take(",") {
            if top.isObject {
              if let duplicate = try key(&cursor, &stack) { return Scan(duplicate: duplicate) }
            } else {
              stack[stack.count - 1].count += 1
            }
            break
          }
          try cursor.expect(top.isObject ? "}" : "]")
          stack.removeLast()
        }
        if stack.isEmpty {
          guard cursor.peek() == nil else { throw cursor.fail("text follows the JSON value") }
          return Scan()
        }
      }
    } catch {
      return Scan(malformed: "\(error)")
    }
  }

  /// Reads an object's key and its ':', recording it in the innermost frame; the duplicate
  /// when the object already had it.
  private static func key(_ cursor: inout JSONCursor, _ stack: inout [Frame]) throws -> DuplicateKey? {
    let key = try cursor.string("a key")
    guard stack[stack.count - 1].keys.insert(key).inserted else { return DuplicateKey(key: key, path: path(stack)) }
    stack[stack.count - 1].lastKey = key
    try cursor.expect(":")
    return nil
  }

  /// `data` decoded as `T` by `JSONDecoder`, refusing what the decoder would let through: a
  /// duplicate key (checked first: the decoder would look at one of the two values at random),
  /// and text the strict scanner cannot read. Throws `Problem`.
  public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    let scan = scan(data)
    if let duplicate = scan.duplicate {
      throw Problem(
        duplicate.description, key: duplicate.path.isEmpty ? duplicate.key : duplicate.path + "." + duplicate.key)
    }
    let value: T
    do {
      value = try JSONDecoder().decode(T.self, from: data)
    } catch {
      throw Problem(describeDecodingError(error), key: decodingErrorKey(error))
    }
    if let malformed = scan.malformed { throw Problem("not valid JSON (\(malformed))") }
    return value
  }

  /// The first duplicate key of `data`, or nil (also when the text is not JSON).
  public static func firstDuplicateKey(in data: Data) -> DuplicateKey? { scan(data).duplicate }
}
