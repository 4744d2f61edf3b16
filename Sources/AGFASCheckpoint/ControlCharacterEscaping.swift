/// Escaping of text that comes from files before it reaches a terminal or a message.
///
/// Tensor names, pickle globals, zip entry names and shard paths are chosen by whoever wrote
/// the file. Printed raw, an ANSI escape in a tensor name could rewrite the terminal (move
/// the cursor, hide lines, retitle the window) and a newline or tab could forge extra rows of
/// a TSV listing, so every such name is escaped before it is printed or put into an error.
public enum ControlCharacters {
  /// `text` with each control character (C0, DEL, C1) and each Unicode bidirectional
  /// override written as `\u{XX}`, so it prints as visible, inert text on one line.
  /// Text without such characters is returned unchanged.
  public static func escaped(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
      if needsEscape(scalar) {
        out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// Controls (general category Cc) and the bidi embeddings, overrides and isolates, which
  /// reorder how the text around them is displayed ("Trojan Source").
  static func needsEscape(_ s: Unicode.Scalar) -> Bool {
    switch s.value {
    case 0x00...0x1F, 0x7F...0x9F: true
    case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
    default: false
    }
  }
}
