import Foundation

/// Finds object keys written twice in raw JSON text.
///
/// Foundation's `JSONSerialization` and `JSONDecoder` silently keep one of two equal keys, so
/// `{"beta_end": 0.012, "beta_end": 5}` would load a config other than the one a reader of the
/// file sees. Every config reader calls this on the raw bytes (one place, one rule).
public enum JSONDuplicateKeys {
  /// The first key that appears twice in the same object, with the path of that object
  /// (`"unet.layers"`; empty at the top level), or nil. Malformed JSON yields nil: the decoder
  /// reports it better.
  public static func first(in data: Data) -> (key: String, path: String)? {
    struct Frame {
      var isObject: Bool
      var keys: Set<String> = []
      var expectKey: Bool
      var name: String
      var lastKey = ""
    }
    let bytes = [UInt8](data)
    var stack: [Frame] = []
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      switch b {
      case UInt8(ascii: "\""):
        let start = i
        i += 1
        var escaped = false
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
          if bytes[i] == UInt8(ascii: "\\") {
            escaped = true
            i += 1
          }
          i += 1
        }
        guard i < bytes.count else { return nil }
        if var top = stack.last, top.isObject, top.expectKey {
          let raw = Data(bytes[start...i])
          let key: String
          if escaped {
            // Compare keys as the decoder sees them ("\u0061" == "a").
            guard let s = try? JSONSerialization.jsonObject(with: raw, options: .fragmentsAllowed) as? String
            else { return nil }
            key = s
          } else {
            key = String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
          }
          if top.keys.contains(key) { return (key, stack.map(\.name).filter { !$0.isEmpty }.joined(separator: ".")) }
          top.keys.insert(key)
          top.expectKey = false
          top.lastKey = key
          stack[stack.count - 1] = top
        }
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        let name = stack.last.map { $0.isObject ? $0.lastKey : "" } ?? ""
        stack.append(Frame(isObject: b == UInt8(ascii: "{"), expectKey: true, name: name))
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        guard !stack.isEmpty else { return nil }
        stack.removeLast()
      case UInt8(ascii: ","):
        if !stack.isEmpty { stack[stack.count - 1].expectKey = true }
      default:
        break
      }
      i += 1
    }
    return nil
  }
}
