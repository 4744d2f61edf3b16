import Foundation

/// A decoding failure said as a sentence naming the key, instead of `DecodingError`'s
/// debug dump (`dataCorrupted(Context(codingPath: ..., debugDescription: ...))`).
public func describeDecodingError(_ error: Error) -> String {
  guard let error = error as? DecodingError else { return "\(error)" }
  let name = decodingErrorKey(error)
  let key = name.map { "key '\($0)': " } ?? ""
  switch error {
  case .typeMismatch(_, let c):
    // Foundation's text already says what was found ("Expected to decode Int but found a string instead.").
    return "\(key)\(c.debugDescription)"
  case .valueNotFound(let type, _):
    return "\(key)expected \(type), found null"
  case .keyNotFound(let k, _):
    return "\(key)required key '\(k.stringValue)' is missing"
  case .dataCorrupted(let c):
    if c.codingPath.isEmpty {
      let cause = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
      return "not valid JSON\(cause.map { " (\($0))" } ?? "")"
    }
    return "\(key)\(c.debugDescription)"
  @unknown default:
    return "\(error)"
  }
}

/// The path of the key a `DecodingError` is about (`"vit.hidden_size"`, `"block_out_channels[0]"`),
/// or nil for the document as a whole (or another error).
public func decodingErrorKey(_ error: Error) -> String? {
  guard let error = error as? DecodingError else { return nil }
  let path: [CodingKey]
  switch error {
  case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
    path = c.codingPath
  @unknown default:
    return nil
  }
  let name = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    .replacingOccurrences(of: ".[", with: "[")
  return name.isEmpty ? nil : name
}
