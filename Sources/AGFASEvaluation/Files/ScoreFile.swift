import Foundation

/// Frame scores read from a CSV or TSV file.
///
/// Format: one frame per line; blank lines and lines starting with `#` are skipped. Fields are
/// separated by tabs if the first line read has a tab, otherwise by commas (no quoting: use
/// TSV when paths hold commas); spaces around fields are ignored.
/// - Without a header: `score,label` or `score,label,video` (each row without a video is a
///   video of its own).
/// - With a header (a first line with a field named `score`): columns are found by name, in
///   any order, others ignored: `score` (required), `label`, `video`, `path`; the reference's
///   names `photo_label`, `photo_belong_to_video_ID`, `photo_path` work too.
/// `score` is P(live), a finite decimal in [0, 1] (or, read with `.logits`, any finite logit,
/// mapped to P(live) by the sigmoid); `label` is `1`/`live` or `0`/`spoof`. A `path`
/// column lets the file be joined with a reference label file (`frames(joinedWith:)`).
public struct ScoreFile: Sendable {
  /// One data line.
  public struct Row: Equatable, Sendable {
    public var score: Double
    public var label: Int?
    public var video: String?
    public var path: String?
    /// 1-based line number in the file.
    public var line: Int

    public init(score: Double, label: Int? = nil, video: String? = nil, path: String? = nil, line: Int) {
      self.score = score
      self.label = label
      self.video = video
      self.path = path
      self.line = line
    }
  }

  /// What the score column holds.
  public enum Scale: Sendable {
    /// P(live) in [0, 1]; anything outside is an error (a logit or a percentage read as a
    /// probability would silently give wrong metrics).
    case probability
    /// Logits of P(live), mapped with the sigmoid 1 / (1 + e^-x).
    case logits
  }

  /// The file's name as given, used in messages.
  public let source: String
  public let rows: [Row]

  /// Reads and parses the file at `path`.
  public init(contentsOfFile path: String, scale: Scale = .probability) throws {
    try self.init(text: try readText(path), source: path, scale: scale)
  }

  /// Parses `text`; `source` names it in errors ("scores.csv:7: ...").
  public init(text: String, source: String, scale: Scale = .probability) throws {
    self.source = source
    var lines: [(number: Int, fields: [String])] = []
    var separator: Character?
    // Splitting on Character.isNewline keeps "\r\n" (one Character in Swift) as one line end.
    for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let sep = separator ?? (line.contains("\t") ? "\t" : ",")
      separator = sep
      let fields = raw.split(separator: sep, omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespacesAndNewlines)
      }
      lines.append((i + 1, fields))
    }
    guard let first = lines.first else { throw EvaluationError.unreadable(path: source, reason: "no score lines") }
    let layout = try ColumnLayout(first.fields, source: source, line: first.number)
    rows = try lines.dropFirst(layout.isHeader ? 1 : 0).map {
      try layout.row($0.fields, source: source, line: $0.number, scale: scale)
    }
  }

  /// The rows as labelled frames. Needs a label column; rows without a video column are each
  /// their own video, named by their line.
  public func frames() throws -> [FrameScore] {
    try rows.map { row in
      guard let label = row.label else {
        throw EvaluationError.parse(
          file: source, line: row.line, reason: "no label: add a label column or join with a label file")
      }
      return FrameScore(
        score: row.score, label: label, video: row.video ?? "line \(row.line)", origin: "\(source):\(row.line)")
    }
  }
}

/// Which field holds what, from the header or from the field count of a headerless file.
struct ColumnLayout {
  var isHeader: Bool
  var count: Int
  var score: Int
  var label: Int?
  var video: Int?
  var path: Int?

  static let names: [String: WritableKeyPath<ColumnLayout, Int?>] = [
    "label": \.label, "photo_label": \.label, "video": \.video, "photo_belong_to_video_id": \.video,
    "path": \.path, "photo_path": \.path,
  ]

  init(_ fields: [String], source: String, line: Int) throws {
    let lowered = fields.map { $0.lowercased() }
    count = fields.count
    guard let score = lowered.firstIndex(of: "score") else {
      guard count == 2 || count == 3 else {
        throw EvaluationError.parse(
          file: source, line: line,
          reason: "expected score,label or score,label,video (or a header naming the columns), found \(count) fields")
      }
      isHeader = false
      self.score = 0
      label = 1
      video = count == 3 ? 2 : nil
      return
    }
    isHeader = true
    self.score = score
    var seen: Set<String> = []
    for (i, name) in lowered.enumerated() {
      guard name == "score" || Self.names[name] != nil else { continue }
      guard seen.insert(name).inserted else {
        throw EvaluationError.parse(file: source, line: line, reason: "column '\(fields[i])' appears twice")
      }
      if let key = Self.names[name] {
        guard self[keyPath: key] == nil else {
          throw EvaluationError.parse(
            file: source, line: line, reason: "two columns name the same field ('\(fields[i])')")
        }
        self[keyPath: key] = i
      }
    }
  }

  func row(_ fields: [String], source: String, line: Int, scale: ScoreFile.Scale) throws -> ScoreFile.Row {
    func fail(_ reason: String) -> EvaluationError { .parse(file: source, line: line, reason: reason) }
    guard fields.count == count else { throw fail("expected \(count) fields, found \(fields.count)") }
    guard let score = Double(fields[self.score]) else { throw fail("score '\(fields[self.score])' is not a number") }
    guard score.isFinite else { throw EvaluationError.nonFiniteScore(item: "\(source):\(line)", value: score) }
    let probability: Double
    switch scale {
    case .probability:
      guard (0...1).contains(score) else {
        throw fail("score \(fields[self.score]) is outside [0, 1]; if the scores are logits, pass --logits")
      }
      probability = score
    case .logits:
      probability = 1 / (1 + exp(-score))
    }
    var row = ScoreFile.Row(score: probability, line: line)
    if let label {
      switch fields[label].lowercased() {
      case "1", "live": row.label = 1
      case "0", "spoof": row.label = 0
      default: throw fail("label '\(fields[label])' is neither 1 (live) nor 0 (spoof)")
      }
    }
    for (column, key, what) in [(video, \ScoreFile.Row.video, "video"), (path, \ScoreFile.Row.path, "path")] {
      guard let column else { continue }
      guard !fields[column].isEmpty else { throw fail("empty \(what)") }
      row[keyPath: key] = fields[column]
    }
    return row
  }
}

/// The UTF-8 text of the file at `path`, or `.unreadable` saying why not.
func readText(_ path: String) throws -> String {
  var isFolder: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
    throw EvaluationError.unreadable(path: path, reason: "no such file")
  }
  guard !isFolder.boolValue else { throw EvaluationError.unreadable(path: path, reason: "it is a folder") }
  guard let data = FileManager.default.contents(atPath: path) else {
    throw EvaluationError.unreadable(path: path, reason: "permission denied or I/O error")
  }
  guard let text = String(data: data, encoding: .utf8) else {
    throw EvaluationError.unreadable(path: path, reason: "not UTF-8 text")
  }
  return text
}
