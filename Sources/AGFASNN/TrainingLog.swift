import Foundation

/// A training run's JSON-lines log (`log.jsonl`): one object per step (OA-Net's `train`: its
/// loss terms, learning rate, GRL coefficient and validation metrics; `finetune-dfg`: loss,
/// rate, gradient norm, validation PSNR), numbered by `stepKey`.
public final class TrainingLog {
  public let path: String
  private let handle: FileHandle

  /// Opens `path` for appending; `keepingThrough` drops lines whose `stepKey` is later (a
  /// resumed run redoes the steps after its checkpoint).
  public init(path: String, keepingThrough iteration: Int, stepKey: String = "iteration") throws {
    self.path = path
    let fm = FileManager.default
    if iteration == 0 || !fm.fileExists(atPath: path) {
      try Data().write(to: URL(fileURLWithPath: path))
    } else {
      let text = try String(contentsOfFile: path, encoding: .utf8)
      let kept = text.split(separator: "\n").filter { line in
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let i = object[stepKey] as? Int
        else { return false }
        return i <= iteration
      }
      try Data(kept.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
    handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.seekToEnd()
  }

  deinit { try? handle.close() }

  /// Appends one record (keys sorted).
  public func append(_ record: [String: Any]) throws {
    var line = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
    line.append(0x0A)
    try handle.write(contentsOf: line)
  }

  /// The records of a log file, in order.
  public static func read(_ path: String) throws -> [[String: Any]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
      guard let object = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
        throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "\(path): a log line is not a JSON object"])
      }
      return object
    }
  }
}
