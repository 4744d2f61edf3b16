import AGFASEvaluation
import AGFASOANet
import AGFASReport
import AGFASTraining
import ArgumentParser
import Foundation

struct Evaluate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Video-level AUC, EER, HTER, ACER and TPR@FPR of P(live) scores (docs/method.md §6).",
    discussion: """
      SCORES is a CSV or TSV file of frame scores: score,label,video (header optional; \
      label 1 = live, 0 = spoof; score = P(live)). With a header, columns are found by name \
      (score, label, video, path). With --labels, labels and videos come from a reference \
      label file (JSON entries photo_path, photo_label, photo_belong_to_video_ID), matched to \
      the score file's path column. \
      With --oanet instead of SCORES, the checkpoint scores every frame of --domain first:
      the folder convention <data>/<domain>/{live,spoof}/<video>/<frame>.png with \
      reconstructions at the same paths under --reconstructions, or, with --labels naming a \
      label folder (agfas labels), the frames of <labels>/<domain>/choose_all_label.json; \
      --scores-out keeps the frame scores (TSV: path, score, label, video). \
      Frame scores are averaged per video; the EER threshold is searched on the grid \
      0, 0.0001, ..., 1, 1.1 as the reference does, and HTER, accuracy, APCER, BPCER and ACER \
      are measured there (or at --threshold).
      """)

  @Option(help: "CSV/TSV of frame scores (score,label,video, or a header naming the columns).")
  var scores: String?
  @Option(
    help:
      "With --scores: a reference JSON label file to take labels and videos from, joined by path. With --oanet: a label folder (agfas labels) whose <domain>/choose_all_label.json lists the frames."
  )
  var labels: String?
  @Option(help: "A trained OA-Net checkpoint to score --domain with (instead of --scores).")
  var oanet: String?
  @Option(help: "With --oanet: an oanet config JSON for sizes the weights do not show.")
  var config: String?
  @Option(help: "With --oanet: root of the face frames (<domain>/{live,spoof}/<video>/<frame>.png).")
  var data: String?
  @Option(help: "With --oanet: root of the reconstructions, mirroring --data.")
  var reconstructions: String?
  @Option(help: "With --oanet: the domain to evaluate (its test frames).")
  var domain: String?
  @Option(help: "With --oanet: auto, fp32 or bf16; \(autoPrecisionHelp).")
  var precision = "auto"
  @Option(help: "With --oanet: frames per forward.")
  var batch = 16
  @Option(help: "With --oanet: write the frame scores here (TSV: path, score, label, video).")
  var scoresOut: String?
  @Flag(help: "The --scores file holds logits of P(live), not probabilities: map them with the sigmoid.")
  var logits = false
  // .unconditional: a negative value ("--threshold -5") is read as the value, not as a
  // missing one; validate() then says what range is accepted.
  @Option(parsing: .unconditional, help: "Measure HTER/ACER at this threshold (0 to 1.1) instead of the EER threshold.")
  var threshold: Double?
  @Option(help: "Write the ROC curve as a PNG here.")
  var roc: String?
  @Option(help: "ROC plot width in pixels.")
  var rocWidth = 512
  @Option(help: "ROC plot height in pixels.")
  var rocHeight = 512
  @Option(help: "Write the metrics, video scores and ROC points as JSON here.")
  var json: String?
  @Option(
    help:
      "Write a self-contained HTML report (DIR/index.html): ROC and DET curves, score histograms of live faces and each attack kind, the threshold, the metrics."
  )
  var report: String?

  func validate() throws {
    switch (scores, oanet) {
    case (_?, nil):
      for (name, value) in [
        ("--data", data), ("--reconstructions", reconstructions), ("--domain", domain), ("--scores-out", scoresOut),
        ("--config", config),
      ] where value != nil {
        throw ValidationError("\(name) goes with --oanet, not --scores")
      }
    case (nil, _?):
      guard data != nil, reconstructions != nil, domain != nil else {
        throw ValidationError("--oanet needs --data, --reconstructions and --domain")
      }
      try validatePrecision(precision)
      guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
      var isFolder: ObjCBool = false
      if let labels, FileManager.default.fileExists(atPath: labels, isDirectory: &isFolder), !isFolder.boolValue {
        throw ValidationError(
          "with --oanet, --labels is a label folder (agfas labels: <labels>/<domain>/choose_all_label.json), not the file \(labels)"
        )
      }
    default: throw ValidationError("give either --scores FILE or --oanet CHECKPOINT")
    }
    if logits && scores == nil { throw ValidationError("--logits describes a --scores file") }
    if let threshold, !(threshold.isFinite && (0...1.1).contains(threshold)) {
      throw ValidationError("--threshold must lie in 0...1.1 (the EER grid's range), not \(threshold)")
    }
    guard ROCPlot.sizes.contains(rocWidth), ROCPlot.sizes.contains(rocHeight) else {
      throw ValidationError("--roc-width and --roc-height must be within \(ROCPlot.sizes)")
    }
  }

  func run() throws {
    let frames: [FrameScore]
    if let scores {
      let file = try ScoreFile(contentsOfFile: scores, scale: logits ? .logits : .probability)
      frames = try labels.map { try file.frames(joinedWith: LabelFile.read($0), labelSource: $0) } ?? file.frames()
    } else {
      frames = try scoreCheckpoint()
    }
    let report = try EvaluationReport(frames: frames, threshold: threshold, source: scores ?? oanet)
    if let roc {
      try report.plot(width: rocWidth, height: rocHeight).writePNG(to: roc)
    }
    if let json {
      try report.writeJSON(to: json)
    }
    print(report.summary)
    if let folder = self.report {
      stderr("report: \(try EvaluationPage(report: report).write(to: folder))")
    }
  }

  /// Frame scores of --domain from the --oanet checkpoint.
  func scoreCheckpoint() throws -> [FrameScore] {
    guard let oanet, let data, let reconstructions, let domain else { return [] }
    let predictor = try OANetPredictor(
      checkpoint: oanet, configPath: config, precision: precisionType(precision))
    let frames =
      if let labels {
        try LabelFileDataset.frames(
          labels: labels, lists: LabelFileDataset.targetLists, data: data, reconstructions: reconstructions,
          domain: domain, index: 0)
      } else {
        try FolderDataset.frames(data: data, reconstructions: reconstructions, domain: domain, index: 0)
      }
    let status = StatusLine()
    let scores = try Validation.frameScores(predictor.model, frames: frames, batchSize: batch) { done, total in
      // A terminal sees the count rise in place; a log gets the final count only.
      guard status.live || done == total else { return }
      status.show("scored \(done)/\(total) frames")
      if done == total { status.end() }
    }
    if let scoresOut {
      var text = "path\tscore\tlabel\tvideo\n"
      for s in scores { text += "\(s.origin ?? "")\t\(s.score)\t\(s.label)\t\(s.video)\n" }
      try Data(text.utf8).write(to: URL(fileURLWithPath: scoresOut), options: .atomic)
    }
    return scores
  }
}
