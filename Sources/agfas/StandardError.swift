import Foundation

/// Writes `line` and a newline to standard error.
func stderr(_ line: String) {
  FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
}

/// A status line on standard error: rewritten in place on a terminal, one line per update in
/// a log file.
struct StatusLine {
  let live = isatty(STDERR_FILENO) == 1

  func show(_ line: String) {
    FileHandle.standardError.write(Data((live ? "\r\u{1B}[K" + line : line + "\n").utf8))
  }

  /// Ends the in-place line on a terminal (a log's lines already end).
  func end() {
    if live { FileHandle.standardError.write(Data("\n".utf8)) }
  }
}
