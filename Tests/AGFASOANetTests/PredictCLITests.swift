import AGFASEngine
import AGFASTestSupport
import Foundation
import XCTest

/// `agfas predict` end to end on a tiny OA-Net saved by the reference's training code
/// (scripts/make_predict_fixtures.py): P(live) as PyTorch gives it, and clear errors.
final class PredictCLITests: XCTestCase {
  static let folder = OANetFixture.path("predict")
  func path(_ name: String) -> String { Self.folder + "/" + name }

  func run(_ args: [String]) throws -> AgfasCLI.Result {
    try AgfasCLI.run(["predict", "--oanet", path("model.pth"), "--config", path("oanet_config.json")] + args)
  }

  /// PyTorch's P(live) of the two fixture pairs.
  func expectedPLive() throws -> [Double]? {
    try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("expected.json"))))
        as? [String: [Double]])["p_live"]
  }

  func testPrintsPyTorchsPLiveForEachPairOfAReferenceCheckpoint() throws {
    let expected = try expectedPLive()
    let result = try run([
      path("face0.png"), "--reconstruction", path("rec0.png"), path("face1.png"), "--reconstruction",
      path("rec1.png"), "--threshold", "0.3", "--precision", "fp32",
    ])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertFalse(result.stderr.contains("precision auto"), result.stderr)
    let lines = result.stdout.split(separator: "\n")
    XCTAssertEqual(lines.count, 2, result.stdout)
    for (i, line) in lines.enumerated() {
      let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let p = try XCTUnwrap(json["p_live"] as? Double)
      // Tiny fp32 model, 2 layers: the same tolerance as the forward parity tests.
      XCTAssertEqual(p, try XCTUnwrap(expected?[i]), accuracy: 1e-5, "pair \(i)")
      XCTAssertEqual(json["label"] as? String, p >= 0.3 ? "live" : "spoof")
      XCTAssertEqual(json["threshold"] as? Double ?? 0, 0.3, accuracy: 1e-7)
      XCTAssertEqual(json["image"] as? String, path("face\(i).png"))
    }
  }

  /// bf16: the same pairs in bf16 compute stay within bf16's precision of PyTorch's fp32.
  func testBF16PLiveStaysNearPyTorchs() throws {
    let expected = try expectedPLive()
    let result = try run([
      path("face0.png"), "--reconstruction", path("rec0.png"), path("face1.png"), "--reconstruction",
      path("rec1.png"), "--precision", "bf16",
    ])
    XCTAssertEqual(result.status, 0, result.stderr)
    for (i, line) in result.stdout.split(separator: "\n").enumerated() {
      let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      XCTAssertEqual(try XCTUnwrap(json["p_live"] as? Double), try XCTUnwrap(expected?[i]), accuracy: 0.02, "pair \(i)")
    }
    let bad = try run([path("face0.png"), "--reconstruction", path("rec0.png"), "--precision", "fp16"])
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.stderr.contains("--precision must be auto, fp32 or bf16, not 'fp16'"), bad.stderr)
  }

  /// auto (the default): bf16 where the CPU has native bf16, else fp32, said in one line on
  /// stderr. Capped at AVX2 (ONEDNN_MAX_CPU_ISA, read by the child's oneDNN) bf16 would be
  /// emulated, so auto runs fp32 and matches PyTorch's fp32 as closely as --precision fp32.
  func testAutoPicksFP32BelowNativeBF16AndSaysWhy() throws {
    let expected = try expectedPLive()
    let pairs = [
      path("face0.png"), "--reconstruction", path("rec0.png"), path("face1.png"), "--reconstruction", path("rec1.png"),
    ]
    let capped = try AgfasCLI.run(
      ["predict", "--oanet", path("model.pth"), "--config", path("oanet_config.json"), "--precision", "auto"] + pairs,
      environment: ["ONEDNN_MAX_CPU_ISA": "AVX2", "DNNL_MAX_CPU_ISA": nil])
    XCTAssertEqual(capped.status, 0, capped.stderr)
    XCTAssertEqual(
      capped.stderr.split(separator: "\n").filter { $0.hasPrefix("precision auto:") },
      ["precision auto: fp32 (bf16 would be emulated by the engine here: no AVX512_BF16 at AVX2)"], capped.stderr)
    for (i, line) in capped.stdout.split(separator: "\n").enumerated() {
      let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      XCTAssertEqual(try XCTUnwrap(json["p_live"] as? Double), try XCTUnwrap(expected?[i]), accuracy: 1e-5, "pair \(i)")
    }

    let byDefault = try run(pairs)
    XCTAssertEqual(byDefault.status, 0, byDefault.stderr)
    let choice = ComputeBackend.autoPrecision
    let picked = choice.dtype == .bfloat16 ? "bf16" : "fp32"
    XCTAssertEqual(
      byDefault.stderr.split(separator: "\n").filter { $0.hasPrefix("precision auto:") },
      ["precision auto: \(picked) (\(choice.reason))"], byDefault.stderr)
  }

  func testReportsMissingFilesMismatchedSizesAndKeys() throws {
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("predict-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: tmp) }
    let missing = tmp.appendingPathComponent("missing.pth").path
    let result = try AgfasCLI.run([
      "predict", "--oanet", missing, path("face0.png"), "--reconstruction", path("rec0.png"),
    ])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(result.stderr.contains("\(missing): no such file"), result.stderr)

    for (args, message) in [
      ([path("face0.png")], "1 image(s) but 0 --reconstruction"),
      ([path("face0.png"), "--reconstruction", path("nope.png")], "nope.png"),
      ([path("face0.png"), "--reconstruction", path("rec0.png"), "--threshold", "2"], "--threshold must be within"),
    ] {
      let r = try run(args)
      XCTAssertNotEqual(r.status, 0, "\(args)")
      XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
    }
    // A reconstruction of another size.
    let small = tmp.appendingPathComponent("small.png").path
    try Data(Self.tinyPNG).write(to: URL(fileURLWithPath: small))
    let sized = try run([path("face0.png"), "--reconstruction", small])
    XCTAssertNotEqual(sized.status, 0)
    XCTAssertTrue(sized.stderr.contains("the face is 64x64 but its reconstruction 1x1"), sized.stderr)

    // A state dict that is not OA-Net's: the error names a missing key.
    let wrong = OANetFixture.path("resnet_tiny.pth")
    let keys = try AgfasCLI.run([
      "predict", "--oanet", wrong, "--config", path("oanet_config.json"), path("face0.png"), "--reconstruction",
      path("rec0.png"),
    ])
    XCTAssertNotEqual(keys.status, 0)
    XCTAssertTrue(keys.stderr.contains("backbone."), keys.stderr)
  }

  /// A valid 1x1 8-bit RGB PNG.
  static let tinyPNG: [UInt8] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49,
    0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0xF8, 0xCF, 0xC0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xDD, 0x8D, 0xB0,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
  ]
}
