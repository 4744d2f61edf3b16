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
  public static func parse(_ data: Data, source: String) throws -> [LabelEntry] {
    let json: Any
    do {
      json = try JSONSerialization.jsonObject(with: data)
    } catch {
      throw EvaluationError.unreadable(path: source, reason: "not valid JSON (\(error.localizedDescription))")
    }
    guard let array = json as? [Any] else {
      throw EvaluationError.unreadable(path: source, reason: "expected a JSON array of label entries")
    }
    return try array.enumerated().map { index, item in
      func fail(_ reason: String) -> EvaluationError { .labelEntry(file: source, index: index, reason: reason) }
      guard let entry = item as? [String: Any] else { throw fail("not a JSON object") }
      guard let path = entry["photo_path"] as? String, !path.isEmpty else {
        throw fail("photo_path is missing or not a non-empty string")
      }
      guard let label = entry["photo_label"].flatMap(integer), label == 0 || label == 1 else {
        throw fail("photo_label is missing or not 0 or 1")
      }
      let rawVideo = entry["photo_belong_to_video_ID"]
      guard let video = (rawVideo as? String) ?? rawVideo.flatMap(integer).map(String.init), !video.isEmpty else {
        throw fail("photo_belong_to_video_ID is missing or not a string or integer")
      }
      return LabelEntry(path: path, label: label, video: video)
    }
  }

  /// An integral JSON number or a string holding one.
  private static func integer(_ value: Any) -> Int? {
    if let text = value as? String { return Int(text) }
    guard let number = value as? NSNumber else { return nil }
    let double = number.doubleValue
    return double == double.rounded() && abs(double) < 1e15 ? Int(double) : nil
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
