import Foundation

/// Checks JSON values against the schemas of the committed openapi.json: the subset of JSON
/// Schema it uses ($ref, type with null, required, properties, additional keys refused, items,
/// min/maxItems, enum, minimum/maximum, pattern). Every answer the API tests receive goes
/// through it, so the document and the server cannot drift apart unnoticed.
struct OpenAPISchema {
  let document: [String: Any]

  init(data: Data) throws {
    document = try JSONSerialization.jsonObject(with: data) as! [String: Any]
  }

  /// The schema of `operationId`'s answer with `status`.
  func responseSchema(path: String, method: String, status: Int) -> [String: Any]? {
    let paths = document["paths"] as? [String: Any]
    let operation = (paths?[path] as? [String: Any])?[method] as? [String: Any]
    let response = (operation?["responses"] as? [String: Any])?[String(status)] as? [String: Any]
    let content = response?["content"] as? [String: Any]
    return (content?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
  }

  /// Whether `path`/`method` documents `status` at all.
  func documents(path: String, method: String, status: Int) -> Bool {
    let paths = document["paths"] as? [String: Any]
    let operation = (paths?[path] as? [String: Any])?[method] as? [String: Any]
    return (operation?["responses"] as? [String: Any])?[String(status)] != nil
  }

  /// Every way `value` breaks `schema`, with where ("faces[0].cue.rms").
  func violations(_ value: Any?, _ schema: [String: Any], at place: String = "$") -> [String] {
    if let ref = schema["$ref"] as? String {
      let name = String(ref.split(separator: "/").last!)
      let schemas = (document["components"] as! [String: Any])["schemas"] as! [String: Any]
      return violations(value, schemas[name] as! [String: Any], at: place)
    }
    var problems: [String] = []
    let types: [String] = (schema["type"] as? [String]) ?? ((schema["type"] as? String).map { [$0] } ?? [])
    let isNull = value == nil || value is NSNull
    if isNull {
      return types.isEmpty || types.contains("null") ? [] : ["\(place): null where \(types) is expected"]
    }
    if let allowed = schema["enum"] as? [Any] {
      let text = "\(value!)"
      if !allowed.contains(where: { !($0 is NSNull) && "\($0)" == text }) {
        problems.append("\(place): \(text) not in enum")
      }
    }
    switch value {
    case let object as [String: Any]:
      guard types.isEmpty || types.contains("object") else { return ["\(place): object where \(types)"] }
      let properties = schema["properties"] as? [String: Any] ?? [:]
      for key in schema["required"] as? [String] ?? [] where object[key] == nil {
        problems.append("\(place): missing \(key)")
      }
      for (key, item) in object {
        guard let property = properties[key] as? [String: Any] else {
          if !properties.isEmpty { problems.append("\(place): undocumented key \(key)") }
          continue
        }
        problems += violations(item, property, at: "\(place).\(key)")
      }
    case let array as [Any]:
      guard types.contains("array") else { return ["\(place): array where \(types)"] }
      if let min = schema["minItems"] as? Int, array.count < min { problems.append("\(place): under \(min) items") }
      if let max = schema["maxItems"] as? Int, array.count > max { problems.append("\(place): over \(max) items") }
      if let items = schema["items"] as? [String: Any] {
        for (i, item) in array.enumerated() { problems += violations(item, items, at: "\(place)[\(i)]") }
      }
    case let string as String:
      guard types.contains("string") else { return ["\(place): string where \(types)"] }
      if let pattern = schema["pattern"] as? String, string.range(of: pattern, options: .regularExpression) == nil {
        problems.append("\(place): \(string) does not match \(pattern)")
      }
    case let number as NSNumber:
      let isInteger = number.doubleValue.rounded() == number.doubleValue
      guard types.contains("number") || (types.contains("integer") && isInteger) else {
        return ["\(place): number \(number) where \(types)"]
      }
      if let min = schema["minimum"] as? Double, number.doubleValue < min { problems.append("\(place): below \(min)") }
      if let max = schema["maximum"] as? Double, number.doubleValue > max { problems.append("\(place): above \(max)") }
    default:
      problems.append("\(place): unexpected \(type(of: value!))")
    }
    return problems
  }
}
