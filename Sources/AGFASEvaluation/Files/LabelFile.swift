import AGFASJSON
import Foundation

/// One frame of a reference label file (docs/method.md §7).
public struct LabelEntry: Equatable, Sendable {
  /// `photo_path`: the frame's path as the reference wrote it.
  public var path: String
  /// `photo_label`: 1 live, 0 spoof.
  public var label: Int
  /// `photo_belong_to_video_ID`, as text (the reference writes strings; numbers are accepted).
  public var video: String

  public init(path: String, label: Int, video: String) {
    self.path = path
    self.label = label
    self.video = video
  }
}

/// The reference's JSON label files: an array of
/// `{"photo_path": ..., "photo_label": 0 or 1, "photo_belong_to_video_ID": ...}`.
public enum LabelFile {
  /// Reads the label file at `path`.
  public static func read(_ path: String) throws -> [LabelEntry] {
    try parse(Data(try readText(path).utf8), source: path)
  }

  /// Parses label-file JSON; errors name `source` and the entry (0-based).
  ///
  /// Read by the strict `JSONCursor`, not Foundation: a key written twice in an entry is an
  /// error (Foundation keeps one of the two silently), and so is a value of the wrong type
  /// (`"photo_label": true` is not the label 1). Other keys are allowed and skipped.
  public static func parse(_ data: Data, source: String) throws -> [LabelEntry] {
    try data.withUnsafeBytes { bytes in
      var cursor = JSONCursor(bytes)
      cursor.skipByteOrderMark()
      do {
        guard cursor.take("[") else {
          if cursor.peek() == nil { throw cursor.fail("no JSON value") }
          throw EvaluationError.unreadable(path: source, reason: "expected a JSON array of label entries")
        }
        var entries: [LabelEntry] = []
        if cursor.take("]") { return try end(&cursor, entries) }
        repeat { entries.append(try entry(&cursor, index: entries.count, source: source)) } while cursor.take(",")
        try cursor.expect("]")
        return try end(&cursor, entries)
      } catch let failure as JSONCursor.Failure {
        throw EvaluationError.unreadable(path: source, reason: "not valid JSON (\(failure.reason))")
      }
    }
  }

  private static func end(_ cursor: inout JSONCursor, _ entries: [LabelEntry]) throws -> [LabelEntry] {
    guard cursor.peek() == nil else { throw cursor.fail("text follows the array of label entries") }
    return entries
  }

  /// One `{"photo_path", "photo_label", "photo_belong_to_video_ID"}` object.
  private static func entry(_ c: inout JSONCursor, index: Int, source: String) throws -> LabelEntry {
    func fail(_ reason: String) -> EvaluationError { .labelEntry(file: source, index: index, reason: reason) }
    guard c.take("{") else {
      // Still read the value, so a file that is not JSON at all says so first.
      try c.skipValue("entry \(index)")
      throw fail("not a JSON object")
    }
    var path: String?
    var label: Int?
    var video: String?
    var seen = Set<String>()
    if !c.take("}") {
      repeat {
        let key = try c.string("a key of entry \(index)")
        guard seen.insert(key).inserted else { throw fail("key '\(key)' appears twice; remove one") }
        try c.expect(":")
        switch key {
        case "photo_path":
          let text = c.peek() == UInt8(ascii: "\"") ? try c.string(key) : nil
          guard let text, !text.isEmpty else {
            throw fail("photo_path is missing or not a non-empty string (found \(text == nil ? c.found() : "\"\""))")
          }
          path = text
        case "photo_label":
          let found = c.found()
          guard let value = try integer(&c, key), value == 0 || value == 1 else {
            throw fail("photo_label is missing or not 0 or 1 (found \(found))")
          }
          label = value
        case "photo_belong_to_video_ID":
          let found = c.found()
          let value = c.peek() == UInt8(ascii: "\"") ? try c.string(key) : try integer(&c, key).map(String.init)
          guard let value, !value.isEmpty else {
            throw fail("photo_belong_to_video_ID is missing or not a string or integer (found \(found))")
          }
          video = value
        default:
          try c.skipValue(key)
        }
      } while c.take(",")
      try c.expect("}")
    }
    guard let path else { throw fail("photo_path is missing or not a non-empty string") }
    guard let label else { throw fail("photo_label is missing or not 0 or 1") }
    guard let video else { throw fail("photo_belong_to_video_ID is missing or not a string or integer") }
    return LabelEntry(path: path, label: label, video: video)
  }

  /// An integral JSON number or a string holding one; nil for anything else (a boolean, null,
  /// a fraction), which is then consumed.
  private static func integer(_ c: inout JSONCursor, _ key: String) throws -> Int? {
    switch c.peek() {
    case UInt8(ascii: "\""):
      return Int(try c.string(key))
    case let b? where b == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b):
      let double = try c.number(key)
      return double == double.rounded() && abs(double) < 1e15 ? Int(double) : nil
    default:
      try c.skipValue(key)
      return nil
    }
  }
}

extension ScoreFile {
  /// Frames joined with a reference label file by path: every labelled frame needs exactly one
  /// score row whose `path` equals its `photo_path`, and every score row must be labelled.
  /// Labels and videos come from `labels` (a label column, if present, must agree); frames
  /// come out in label-file order. `labelSource` names the label file in errors.
  public func frames(joinedWith labels: [LabelEntry], labelSource: String = "label file") throws -> [FrameScore] {
    var byPath: [String: Int] = [:]
    for (i, row) in rows.enumerated() {
      guard let path = row.path else {
        throw EvaluationError.parse(file: source, line: row.line, reason: "no path: joining needs a path column")
      }
      if let other = byPath.updateValue(i, forKey: path) {
        throw EvaluationError.parse(
          file: source, line: row.line, reason: "path '\(path)' already scored on line \(rows[other].line)")
      }
    }
    var used = Set<Int>()
    var missing: [String] = []
    var frames: [FrameScore] = []
    for (index, entry) in labels.enumerated() {
      guard let i = byPath[entry.path] else {
        missing.append(entry.path)
        continue
      }
      guard used.insert(i).inserted else {
        throw EvaluationError.labelEntry(
          file: labelSource, index: index, reason: "path '\(entry.path)' is listed twice")
      }
      let row = rows[i]
      if let label = row.label, label != entry.label {
        throw EvaluationError.parse(
          file: source, line: row.line, reason: "label \(label) disagrees with \(labelSource) (\(entry.label))")
      }
      frames.append(
        FrameScore(score: row.score, label: entry.label, video: entry.video, origin: "\(source):\(row.line)"))
    }
    if let first = missing.first {
      throw EvaluationError.join(
        reason: "\(missing.count) of \(labels.count) frames of \(labelSource) have no score in \(source) "
          + "(first: \(first))")
    }
    if let extra = rows.indices.first(where: { !used.contains($0) }) {
      throw EvaluationError.parse(
        file: source, line: rows[extra].line, reason: "path '\(rows[extra].path!)' is not in \(labelSource)")
    }
    return frames
  }
}
