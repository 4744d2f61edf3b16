import Foundation

/// Reads a diffusers JSON config (`config.json`, `scheduler_config.json`) as `T`. A failure is
/// handed to `wrap` with a reason ("cannot read: ...", "not a <kind> config: key 'x': ...")
/// and the underlying error, so each config reports it in its own error type. A key written
/// twice is an error (Foundation would silently keep one of them).
func readConfigFile<T: Decodable>(
  _ path: String, kind: String, error wrap: (_ reason: String, _ underlying: Error) -> Error
) throws -> T {
  let data: Data
  do {
    data = try Data(contentsOf: URL(fileURLWithPath: path))
  } catch {
    throw wrap("cannot read: \(error.localizedDescription)", error)
  }
  let value: T
  do {
    value = try JSONDecoder().decode(T.self, from: data)
  } catch {
    throw wrap("not \(kind) config: \(describeDecodingError(error))", error)
  }
  if let dup = JSONDuplicateKeys.first(in: data) {
    let reason = "key '\(dup.key)' appears twice\(dup.path.isEmpty ? "" : " in '\(dup.path)'"); remove one"
    throw wrap("not \(kind) config: \(reason)", ConfigDecodingError(reason))
  }
  return value
}

/// A decoding failure said as a sentence naming the key, instead of `DecodingError`'s
/// debug dump (`dataCorrupted(Context(codingPath: ..., debugDescription: ...))`).
public func describeDecodingError(_ error: Error) -> String {
  guard let error = error as? DecodingError else { return "\(error)" }
  func key(_ path: [CodingKey]) -> String {
    let name = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
      .replacingOccurrences(of: ".[", with: "[")
    return name.isEmpty ? "" : "key '\(name)': "
  }
  switch error {
  case .typeMismatch(_, let c):
    // Foundation's text already says what was found ("Expected to decode Int but found a string instead.").
    return "\(key(c.codingPath))\(c.debugDescription)"
  case .valueNotFound(let type, let c):
    return "\(key(c.codingPath))expected \(type), found null"
  case .keyNotFound(let k, let c):
    return "\(key(c.codingPath))required key '\(k.stringValue)' is missing"
  case .dataCorrupted(let c):
    if c.codingPath.isEmpty {
      let cause = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
      return "not valid JSON\(cause.map { " (\($0))" } ?? "")"
    }
    return "\(key(c.codingPath))\(c.debugDescription)"
  @unknown default:
    return "\(error)"
  }
}

/// A config rule the JSON decoder does not check (duplicate keys).
struct ConfigDecodingError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
