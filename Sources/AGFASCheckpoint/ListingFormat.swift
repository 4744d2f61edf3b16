import Foundation

/// Text forms of a tensor listing (what `agfas inspect` prints).
public enum ListingFormat {
  /// One `name<TAB>dtype<TAB>shape` line per tensor, shape as comma-separated integers
  /// (empty for a scalar). Names come from the file, so their control characters are
  /// escaped: an ANSI escape must not reach the terminal, nor a tab or newline forge a row.
  public static func tsv(_ rows: [(name: String, dtype: String, shape: [Int])]) -> String {
    rows.map {
      "\(ControlCharacters.escaped($0.name))\t\(ControlCharacters.escaped($0.dtype))\t\($0.shape.map(String.init).joined(separator: ","))"
    }
    .joined(separator: "\n")
  }

  /// A JSON array with one `{"name", "dtype", "shape"}` object per line, in listing order.
  public static func json(_ rows: [(name: String, dtype: String, shape: [Int])]) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    func quoted(_ s: String) throws -> String { String(decoding: try encoder.encode(s), as: UTF8.self) }
    let lines = try rows.map { row in
      "  {\"name\": \(try quoted(row.name)), \"dtype\": \(try quoted(row.dtype)), \"shape\": [\(row.shape.map(String.init).joined(separator: ", "))]}"
    }
    return lines.isEmpty ? "[]" : "[\n" + lines.joined(separator: ",\n") + "\n]"
  }
}
