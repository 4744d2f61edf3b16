import Foundation

/// Why scores could not be evaluated or read. Each message says what was wrong and where
/// (the file and line, the video, or the sample's position).
public enum EvaluationError: Error, Equatable, LocalizedError, CustomStringConvertible {
  /// Nothing to evaluate.
  case empty
  /// Only lives or only spoofs: AUC, FAR and FRR need both classes.
  case singleClass(label: Int, count: Int)
  /// A NaN or infinite score; `item` names it ("sample 3", "scores.csv:7").
  case nonFiniteScore(item: String, value: Double)
  /// A label other than 1 (live) or 0 (spoof).
  case invalidLabel(item: String, label: Int)
  /// Scores and labels of different lengths.
  case countMismatch(scores: Int, labels: Int)
  /// A video whose frames carry both labels; `item` names the first frame that disagrees.
  case inconsistentVideoLabel(video: String, first: Int, other: Int, item: String)
  /// A score or label file line (1-based) or entry that cannot be read.
  case parse(file: String, line: Int, reason: String)
  /// An entry (0-based) of a JSON label file that is not a valid label record.
  case labelEntry(file: String, index: Int, reason: String)
  /// A file that cannot be opened or is not the expected format as a whole.
  case unreadable(path: String, reason: String)
  /// Scores and a label file that do not match up path for path.
  case join(reason: String)
  /// A caller's argument out of range (a threshold, a plot size).
  case invalidArgument(String)

  public var description: String {
    switch self {
    case .empty:
      return "no scores to evaluate"
    case .singleClass(let label, let count):
      let name = label == 1 ? "live (1)" : "spoof (0)"
      return "all \(count) samples are \(name): evaluation needs both live and spoof samples"
    case .nonFiniteScore(let item, let value):
      return "\(item): score \(value) is not a finite number"
    case .invalidLabel(let item, let label):
      return "\(item): label \(label) is neither 1 (live) nor 0 (spoof)"
    case .countMismatch(let scores, let labels):
      return "\(scores) scores but \(labels) labels"
    case .inconsistentVideoLabel(let video, let first, let other, let item):
      return "video '\(video)' has frames labelled \(first) and \(other) (first disagreeing frame: \(item))"
    case .parse(let file, let line, let reason):
      return "\(file):\(line): \(reason)"
    case .labelEntry(let file, let index, let reason):
      return "\(file): entry \(index): \(reason)"
    case .unreadable(let path, let reason):
      return "cannot read \(path): \(reason)"
    case .join(let reason):
      return "scores and labels do not match: \(reason)"
    case .invalidArgument(let reason):
      return reason
    }
  }

  public var errorDescription: String? { description }
}
