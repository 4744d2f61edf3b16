import Foundation

extension LabelList {
  /// The list as the reference's `json.dump(entries, f, indent=4)` writes it, byte for byte:
  /// four-space indents, keys in the reference's order, non-ASCII escaped as `\uXXXX`, no
  /// final newline.
  public var json: String {
    guard !entries.isEmpty else { return "[]" }
    let items = entries.map { entry in
      "    {\n        \"photo_path\": \(Self.quoted(entry.path)),\n        \"photo_label\": \(entry.label),\n"
        + "        \"photo_belong_to_video_ID\": \(entry.video)\n    }"
    }
    return "[\n" + items.joined(separator: ",\n") + "\n]"
  }

  /// Writes the list to `<folder>/<group>/<name>` (atomically), creating folders as needed.
  public func write(under folder: String) throws {
    let url = URL(fileURLWithPath: folder).appendingPathComponent(group).appendingPathComponent(name)
    do {
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(json.utf8).write(to: url, options: .atomic)
    } catch {
      throw DataError.io(path: url.path, reason: "cannot write label file (\(error.localizedDescription))")
    }
  }

  /// A JSON string as Python's `json` module writes it with `ensure_ascii=True`.
  static func quoted(_ text: String) -> String {
    var out = "\""
    for unit in text.utf16 {
      switch unit {
      case 0x22: out += "\\\""
      case 0x5C: out += "\\\\"
      case 0x0A: out += "\\n"
      case 0x0D: out += "\\r"
      case 0x09: out += "\\t"
      case 0x08: out += "\\b"
      case 0x0C: out += "\\f"
      case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
      default:
        let hex = String(unit, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      }
    }
    return out + "\""
  }
}
