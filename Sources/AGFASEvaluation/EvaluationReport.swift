import AGFASImage
import Foundation

/// An evaluation as saved by `agfas evaluate --json`: what was evaluated, the metrics, the
/// video-level scores they came from and the ROC curve (for re-plotting elsewhere).
public struct EvaluationReport: Equatable, Sendable, Codable {
  /// The score file (or other origin) evaluated, if any.
  public var source: String?
  /// Frame-level scores read.
  public var frames: Int
  /// The video-level scores the metrics are computed on.
  public var videos: [VideoScore]
  public var metrics: EvaluationMetrics
  public var roc: [ROCPoint]

  /// Averages `frames` per video (`VideoAggregation`) and evaluates the videos; `threshold`
  /// as in `EvaluationMetrics`.
  public init(frames: [FrameScore], threshold: Double? = nil, source: String? = nil) throws {
    let videos = try VideoAggregation.average(frames)
    let data = try BinaryScores(videos)
    let curve = ROCCurve(data)
    self.source = source
    self.frames = frames.count
    self.videos = videos
    metrics = try EvaluationMetrics(data, curve: curve, threshold: threshold)
    roc = curve.points
  }

  /// The figures as lines of text, rates in percent (HTER and AUC first, as papers report).
  public var summary: String {
    let m = metrics
    let counted = "\(videos.count) videos (\(m.lives) live, \(m.spoofs) spoof) from \(frames) frames"
    func percent(_ name: String, _ value: Double, _ note: String = "") -> String {
      name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%7.3f %%", value * 100) + note
    }
    let at = m.threshold == m.eerThreshold ? "the EER threshold" : "threshold \(m.threshold)"
    return [
      (source.map { "\($0): " } ?? "") + counted,
      percent("HTER", m.hter, "  at \(at)"),
      percent("AUC", m.auc),
      percent("EER", m.eer, "  threshold \(m.eerThreshold)"),
      percent("accuracy", m.accuracy),
      percent("APCER", m.apcer),
      percent("BPCER", m.bpcer),
      percent("ACER", m.acer),
      percent("TPR@FPR=1%", m.tprAtFPR1Percent),
      percent("TPR@FPR=0.1%", m.tprAtFPR01Percent),
    ].joined(separator: "\n")
  }

  /// A plot of this report's ROC curve with its EER point marked.
  public func plot(width: Int = 512, height: Int = 512) -> ROCPlot {
    ROCPlot(points: roc, marker: (fpr: metrics.eerFAR, tpr: 1 - metrics.eerFRR), width: width, height: height)
  }

  /// The report as pretty-printed JSON with sorted keys (the first ROC point, whose
  /// threshold is +inf, has no `threshold` key).
  public func jsonData() throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
  }

  /// Writes `jsonData()` to `path` atomically.
  public func writeJSON(to path: String) throws {
    try AtomicFile.write(try jsonData(), to: path)
  }
}
