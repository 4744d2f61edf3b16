import AGFASEvaluation
import ArgumentParser

struct Evaluate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Video-level AUC, EER, HTER, ACER and TPR@FPR of P(live) scores (SPEC section 6).",
    discussion: """
      SCORES is a CSV or TSV file of frame scores: score,label,video (header optional;
      label 1 = live, 0 = spoof; score = P(live)). With a header, columns are found by name
      (score, label, video, path). With --labels, labels and videos come from a reference
      label file (JSON entries photo_path, photo_label, photo_belong_to_video_ID), matched to
      the score file's path column.
      Frame scores are averaged per video; the EER threshold is searched on the grid
      0, 0.0001, ..., 1, 1.1 as the reference does, and HTER, accuracy, APCER, BPCER and ACER
      are measured there (or at --threshold).
      """)

  @Option(help: "CSV/TSV of frame scores (score,label,video, or a header naming the columns).")
  var scores: String
  @Option(help: "A reference JSON label file to take labels and videos from, joined by path.")
  var labels: String?
  @Option(help: "Measure HTER/ACER at this threshold instead of the EER threshold.")
  var threshold: Double?
  @Option(help: "Write the ROC curve as a PNG here.")
  var roc: String?
  @Option(help: "ROC plot width in pixels.")
  var rocWidth = 512
  @Option(help: "ROC plot height in pixels.")
  var rocHeight = 512
  @Option(help: "Write the metrics, video scores and ROC points as JSON here.")
  var json: String?

  func validate() throws {
    guard ROCPlot.sizes.contains(rocWidth), ROCPlot.sizes.contains(rocHeight) else {
      throw ValidationError("--roc-width and --roc-height must be within \(ROCPlot.sizes)")
    }
  }

  func run() throws {
    let file = try ScoreFile(contentsOfFile: scores)
    let frames = try labels.map { try file.frames(joinedWith: LabelFile.read($0), labelSource: $0) } ?? file.frames()
    let report = try EvaluationReport(frames: frames, threshold: threshold, source: scores)
    if let roc {
      try report.plot(width: rocWidth, height: rocHeight).writePNG(to: roc)
    }
    if let json {
      try report.writeJSON(to: json)
    }
    print(report.summary)
  }
}
