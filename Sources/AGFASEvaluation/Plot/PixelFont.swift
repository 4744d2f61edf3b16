/// A 3x5 pixel font with just what the ROC plot labels need (digits, ".", "F", "P", "R", "T"),
/// so plots need no font files or text library.
enum PixelFont {
  static let width = 3
  static let height = 5

  /// Five rows of three "0"/"1" pixels, top row first; nil for characters the font lacks.
  static func glyph(_ character: Character) -> [String]? {
    glyphs[character]
  }

  private static let glyphs: [Character: [String]] = [
    "0": ["111", "101", "101", "101", "111"],
    "1": ["010", "110", "010", "010", "111"],
    "2": ["111", "001", "111", "100", "111"],
    "3": ["111", "001", "111", "001", "111"],
    "4": ["101", "101", "111", "001", "001"],
    "5": ["111", "100", "111", "001", "111"],
    "6": ["111", "100", "111", "101", "111"],
    "7": ["111", "001", "001", "001", "001"],
    "8": ["111", "101", "111", "101", "111"],
    "9": ["111", "101", "111", "001", "111"],
    ".": ["000", "000", "000", "000", "010"],
    "F": ["111", "100", "110", "100", "100"],
    "P": ["110", "101", "110", "100", "100"],
    "R": ["110", "101", "110", "101", "101"],
    "T": ["111", "010", "010", "010", "010"],
  ]

  /// Width in pixels of `text` drawn at `scale` (one blank column between characters).
  static func textWidth(_ text: String, scale: Int) -> Int {
    max(0, text.count * (width + 1) - 1) * scale
  }
}
