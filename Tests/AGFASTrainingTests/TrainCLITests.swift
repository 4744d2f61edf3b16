import AGFASEvaluation
import AGFASNN
import AGFASOANet
import AGFASTestSupport
import AGFASTraining
import Foundation
import XCTest

/// `agfas train` as a user runs it, on the generated tiny dataset and model.
final class TrainCLITests: XCTestCase {
  func testTrainWritesLogCheckpointsAndRefusesToOverwriteWithoutResume() throws {
    let data = try TinyDataset(domains: ["O", "C", "I", "M"])
    defer { data.remove() }
    let config = data.root.appendingPathComponent("tiny.json")
    try JSONEncoder().encode(TinyDataset.tinyConfig).write(to: config)
    let out = data.root.appendingPathComponent("run").path
    let args = [
      "train", "--random-init", "--data", data.data, "--reconstructions", data.reconstructions, "--train", "O,C,I",
      "--target", "M",
      "--out", out, "--iterations", "4", "--validate-every", "2", "--checkpoint-every", "2", "--per-class", "2",
      "--config", config.path,
    ]
    let first = try AgfasCLI.run(args)
    XCTAssertEqual(first.status, 0, first.stderr)
    XCTAssertTrue(first.stderr.contains("iter 4/4"), first.stderr)
    XCTAssertTrue(first.stdout.contains("trained 4 iterations"), first.stdout)
    let log = try TrainingLog.read(out + "/log.jsonl")
    XCTAssertEqual(log.map { $0["iteration"] as? Int }, [1, 2, 3, 4])
    XCTAssertNotNil(log[1]["val_hter"])
    for name in ["checkpoint.safetensors", "best.safetensors", "config.json"] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + name), name)
    }
    let again = try AgfasCLI.run(args)
    XCTAssertNotEqual(again.status, 0)
    XCTAssertTrue(again.stderr.contains("--resume"), again.stderr)
    // Resuming a finished run changes nothing and succeeds (--protocol names the same split).
    let protocolArgs = args.filter { !["--train", "O,C,I", "--target", "M"].contains($0) } + ["--protocol", "O,C,I-M"]
    let resumed = try AgfasCLI.run(protocolArgs + ["--resume"])
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertEqual(try TrainingLog.read(out + "/log.jsonl").count, 4)
    let overlapping = try AgfasCLI.run(protocolArgs.map { $0 == "O,C,I-M" ? "O,M-M" : $0 })
    XCTAssertNotEqual(overlapping.status, 0)
    XCTAssertTrue(overlapping.stderr.contains("must be distinct and not include the target"), overlapping.stderr)
    // Another precision is another recipe: refused on resume, with both named.
    let bf16 = try AgfasCLI.run(protocolArgs + ["--resume", "--precision", "bf16"])
    XCTAssertNotEqual(bf16.status, 0)
    XCTAssertTrue(bf16.stderr.contains("precision bf16"), bf16.stderr)
    // auto where bf16 would be emulated (oneDNN capped at AVX2) is fp32: the same recipe, said once.
    let auto = try AgfasCLI.run(
      protocolArgs + ["--resume", "--precision", "auto"], environment: ["ONEDNN_MAX_CPU_ISA": "AVX2"])
    XCTAssertEqual(auto.status, 0, auto.stderr)
    XCTAssertEqual(
      auto.stderr.split(separator: "\n").filter { $0.hasPrefix("precision auto:") },
      ["precision auto: fp32 (bf16 would be emulated by the engine here: no AVX512_BF16 at AVX2)"], auto.stderr)
    let fp16 = try AgfasCLI.run(args + ["--precision", "fp16"])
    XCTAssertNotEqual(fp16.status, 0)
    XCTAssertTrue(fp16.stderr.contains("--precision must be auto, fp32 or bf16, not 'fp16'"), fp16.stderr)
  }

  /// --protocol all: the four leave-one-out runs, each in its own folder, then the summary;
  /// rerun with --resume, finished splits are kept as they are.
  func testProtocolAllRunsEveryLeaveOneOutSplit() throws {
    let data = try TinyDataset(domains: ["O", "C", "I", "M"])
    defer { data.remove() }
    let config = data.root.appendingPathComponent("tiny.json")
    try JSONEncoder().encode(TinyDataset.tinyConfig).write(to: config)
    let out = data.root.appendingPathComponent("loo").path
    let args = [
      "train", "--random-init", "--data", data.data, "--reconstructions", data.reconstructions, "--protocol", "all",
      "--domains",
      "M,C,I,O", "--out", out, "--iterations", "2", "--validate-every", "2", "--checkpoint-every", "2",
      "--per-class", "2", "--config", config.path,
    ]
    let run = try AgfasCLI.run(args)
    XCTAssertEqual(run.status, 0, run.stderr)
    let splits = ["CIO-M", "MIO-C", "MCO-I", "MCI-O"]
    for name in splits {
      XCTAssertEqual(try TrainingLog.read("\(out)/\(name)/log.jsonl").count, 2, name)
      XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(name)/best.safetensors"), name)
    }
    XCTAssertTrue(run.stdout.contains("C,I,O-M: trained 2 iterations"), run.stdout)
    let summary = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")))
        as? [[String: Any]])
    XCTAssertEqual(summary.map { $0["protocol"] as? String }, ["C,I,O-M", "M,I,O-C", "M,C,O-I", "M,C,I-O"])
    for r in summary {
      XCTAssertNotNil(r["best_hter"] as? Double, "\(r)")
      XCTAssertNotNil(r["auc_at_best_hter"] as? Double, "\(r)")
      XCTAssertGreaterThanOrEqual(
        try XCTUnwrap(r["best_auc"] as? Double), try XCTUnwrap(r["auc_at_best_hter"] as? Double))
      XCTAssertEqual(r["best_iteration"] as? Int, 2)
    }
    let before = try Data(contentsOf: URL(fileURLWithPath: "\(out)/CIO-M/checkpoint.safetensors"))
    let again = try AgfasCLI.run(args + ["--resume"])
    XCTAssertEqual(again.status, 0, again.stderr)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(out)/CIO-M/checkpoint.safetensors")), before)
    let unknown = try AgfasCLI.run(args.map { $0 == "M,C,I,O" ? "M,C,I,X" : $0 } + ["--resume"])
    XCTAssertNotEqual(unknown.status, 0)
    XCTAssertTrue(unknown.stderr.contains("X"), unknown.stderr)
  }

  /// `agfas evaluate --oanet`: a trained checkpoint scores the target domain; the metrics
  /// equal the training run's own validation of that model, and the frame scores it writes
  /// evaluate to the same report through `--scores`.
  func testEvaluateScoresADomainWithACheckpoint() throws {
    let data = try TinyDataset(domains: ["O", "C", "I", "M"])
    defer { data.remove() }
    let config = data.root.appendingPathComponent("tiny.json")
    try JSONEncoder().encode(TinyDataset.tinyConfig).write(to: config)
    let out = data.root.appendingPathComponent("run").path
    let trained = try AgfasCLI.run([
      "train", "--random-init", "--data", data.data, "--reconstructions", data.reconstructions, "--protocol", "O,C,I-M",
      "--out", out,
      "--iterations", "2", "--validate-every", "2", "--per-class", "2", "--config", config.path,
    ])
    XCTAssertEqual(trained.status, 0, trained.stderr)
    let logged = try XCTUnwrap(TrainingLog.read(out + "/log.jsonl").last)
    let (json, tsv, json2) = (out + "/eval.json", out + "/scores.tsv", out + "/eval2.json")
    let evaluated = try AgfasCLI.run([
      "evaluate", "--oanet", out + "/best.safetensors", "--config", out + "/config.json", "--data", data.data,
      "--reconstructions", data.reconstructions, "--domain", "M", "--json", json, "--scores-out", tsv, "--precision",
      "fp32",
    ])
    XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
    XCTAssertTrue(evaluated.stderr.contains("scored 12/12 frames"), evaluated.stderr)
    XCTAssertTrue(evaluated.stdout.contains("HTER"), evaluated.stdout)
    let report = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
    XCTAssertEqual(report.frames, 12)
    XCTAssertEqual(report.videos.count, 6)
    XCTAssertEqual(report.metrics.hter, try XCTUnwrap(logged["val_hter"] as? Double), accuracy: 1e-12)
    XCTAssertEqual(report.metrics.auc, try XCTUnwrap(logged["val_auc"] as? Double), accuracy: 1e-12)
    let again = try AgfasCLI.run(["evaluate", "--scores", tsv, "--json", json2])
    XCTAssertEqual(again.status, 0, again.stderr)
    let report2 = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: URL(fileURLWithPath: json2)))
    XCTAssertEqual(report2.metrics, report.metrics)
    XCTAssertEqual(report2.videos, report.videos)
    let bf16 = try AgfasCLI.run([
      "evaluate", "--oanet", out + "/best.safetensors", "--config", out + "/config.json", "--data", data.data,
      "--reconstructions", data.reconstructions, "--domain", "M", "--precision", "bf16", "--json", json2,
    ])
    XCTAssertEqual(bf16.status, 0, bf16.stderr)
    let report3 = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: URL(fileURLWithPath: json2)))
    for (a, b) in zip(report3.videos, report.videos) {
      XCTAssertEqual(a.score, b.score, accuracy: 0.02, "bf16 video score of \(a.video)")
    }
    let labelFile = try AgfasCLI.run([
      "evaluate", "--oanet", out + "/best.safetensors", "--data", data.data, "--reconstructions", data.reconstructions,
      "--domain", "M", "--labels", tsv,
    ])
    XCTAssertNotEqual(labelFile.status, 0)
    XCTAssertTrue(labelFile.stderr.contains("--labels is a label folder"), labelFile.stderr)
    for bad in [
      ["evaluate", "--oanet", out + "/best.safetensors"], ["evaluate", "--scores", tsv, "--domain", "M"],
      ["evaluate"],
    ] {
      let r = try AgfasCLI.run(bad)
      XCTAssertNotEqual(r.status, 0, "\(bad)")
      XCTAssertTrue(r.stderr.contains("--"), r.stderr)
    }
  }

  func testTrainTakesFramesFromReferenceLabelFiles() throws {
    let data = try TinyDataset(domains: ["O", "C", "I", "M"])
    defer { data.remove() }
    let labels = data.root.appendingPathComponent("labels").path
    let made = try AgfasCLI.run(["labels", "--layout", "folders", "--root", data.data, "--out", labels])
    XCTAssertEqual(made.status, 0, made.stderr)
    let config = data.root.appendingPathComponent("tiny.json")
    try JSONEncoder().encode(TinyDataset.tinyConfig).write(to: config)
    let out = data.root.appendingPathComponent("run").path
    let run = try AgfasCLI.run([
      "train", "--random-init", "--data", data.data, "--reconstructions", data.reconstructions, "--labels", labels,
      "--protocol",
      "O,C,I-M", "--out", out, "--iterations", "2", "--validate-every", "2", "--per-class", "2", "--config",
      config.path,
    ])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertNotNil(try TrainingLog.read(out + "/log.jsonl").last?["val_hter"])
    // The library side: one frame a video for sources, two for the target.
    let source = try LabelFileDataset.frames(
      labels: labels, lists: LabelFileDataset.sourceLists, data: data.data, reconstructions: data.reconstructions,
      domain: "O", index: 0)
    XCTAssertEqual(source.map(\.label).sorted(), [0, 0, 0, 1, 1, 1])
    XCTAssertTrue(source.allSatisfy { FileManager.default.fileExists(atPath: $0.reconstruction) })
    let target = try LabelFileDataset.frames(
      labels: labels, lists: LabelFileDataset.targetLists, data: data.data, reconstructions: data.reconstructions,
      domain: "M", index: 0)
    XCTAssertEqual(target.count, 12)
  }
}
