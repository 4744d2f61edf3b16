import AGFASImage
import AGFASTestSupport
import Foundation
import XCTest

/// From a fresh machine to a check of a real photo: `agfas check --example` fetches the tiny
/// models, the real MTCNN weights and the example photo from the loopback hub and index, then
/// runs the whole pipeline; the same photo through `agfas align`, `agfas reconstruct` and
/// `agfas predict`, one stage after another, gives the same crops, reconstruction and P(live).
final class FreshMachineCheckTests: XCTestCase {
  static let oanetFixtures = TinyModelHub.here.appendingPathComponent("../AGFASOANetTests/Fixtures/predict")
    .standardized

  func testCheckEqualsTheStagesRunOneByOne() async throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-fresh-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let tiny = try TinyModelHub(realFaceMaterial: true)
    try await tiny.start()
    defer { Task { await tiny.hub.stop() } }
    let manifest = root.appendingPathComponent("manifest.json")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    try tiny.manifestJSON().write(to: manifest, atomically: true, encoding: .utf8)
    var env: [String: String?] = tiny.environment(root: root).mapValues { $0 }
    env["AGFAS_MODELS_MANIFEST"] = manifest.path
    env["AGFAS_MTCNN_WEIGHTS"] = nil
    func path(_ p: String) -> String { root.appendingPathComponent(p).path }
    let oanet = [
      "--oanet", Self.oanetFixtures.appendingPathComponent("model.pth").path,
      "--config", Self.oanetFixtures.appendingPathComponent("oanet_config.json").path,
    ]
    let run = ["--size", "64", "--steps", "4", "--seed", "3", "--precision", "fp32"]

    let check = try await cli(["check", "--example", "--yes", "--report", path("report")] + oanet + run, env)
    guard check.status == 0 else {
      return XCTFail(
        "\(check.signalled ? "signal" : "exit") \(check.status): \(check.stderr) | stdout: \(check.stdout)")
    }
    XCTAssertTrue(check.stderr.contains("fetching what is missing"), check.stderr)
    let lines = check.stdout.split(separator: "\n").map {
      try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
    XCTAssertEqual(lines.count, 1, check.stdout)
    let face = lines[0]
    XCTAssertEqual(face["face"] as? Int, 0)
    XCTAssertTrue((face["photo"] as! String).hasSuffix("examples/astronaut.png"))
    XCTAssertEqual((face["box"] as! [Double]).count, 4)
    XCTAssertEqual((face["landmarks"] as! [[Double]]).count, 5)
    let cue = face["cue"] as! [String: Double]
    XCTAssertGreaterThan(cue["mean_abs"]!, 0)
    XCTAssertLessThanOrEqual(cue["p95"]!, cue["max"]!)
    let images = face["images"] as! [String: String]
    // The report as a person sees it: every image decoded and on screen.
    let page = path("report/index.html")
    let (loaded, total) = try HeadlessChromium.loadedImages(page)
    XCTAssertEqual(total, 4)  // the photo (in its SVG), the aligned face, the reconstruction, the cue map
    XCTAssertEqual(loaded, total)
    let shot = try HeadlessChromium.screenshot(page, width: 1200, height: 1400)
    let share = HeadlessChromium.colourfulShare(shot)
    print("report screenshot: \(String(format: "%.1f", share * 100))% colourful pixels")
    XCTAssertGreaterThan(share, 0.08)

    // The same photo, stage by stage, with the models the check fetched.
    let photo = face["photo"] as! String
    let align = try await cli(["align", photo, "--out", path("faces"), "--size", "64", "--all-faces"], env)
    XCTAssertEqual(align.status, 0, align.stderr)
    let aligned = path("faces/astronaut.png")
    XCTAssertEqual(try Image(contentsOfFile: aligned), try Image(contentsOfFile: images["aligned"]!))
    let reconstruct = try await cli(
      [
        "reconstruct", "--input", path("faces"), "--output", path("recs"), "--steps", "4", "--seed", "3",
        "--precision", "fp32",
      ], env)
    XCTAssertEqual(reconstruct.status, 0, reconstruct.stderr)
    XCTAssertEqual(
      try Image(contentsOfFile: path("recs/astronaut.png")), try Image(contentsOfFile: images["reconstruction"]!))
    let predict = try await cli(
      ["predict"] + oanet + ["--precision", "fp32", aligned, "--reconstruction", path("recs/astronaut.png")], env)
    XCTAssertEqual(predict.status, 0, predict.stderr)
    let predicted = try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as! [String: Any]
    XCTAssertEqual(face["p_live"] as! Double, predicted["p_live"] as! Double, accuracy: 1e-6)
    XCTAssertEqual(face["label"] as? String, predicted["label"] as? String)

    // The cue map is |face - reconstruction| of the two images as written.
    let a = try Image(contentsOfFile: aligned)
    let r = try Image(contentsOfFile: path("recs/astronaut.png"))
    let mean = zip(a.pixels, r.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(a.pixels.count)
    XCTAssertEqual(cue["mean_abs"]!, mean, accuracy: 1e-9)

    // Rerun: models are there, nothing is fetched; a photo whose name is not UTF-8 is listed as
    // skipped, an unreadable photo is one JSON line, the example is still checked, and the exit
    // status is 1.
    try Data("not an image".utf8).write(to: root.appendingPathComponent("broken.png"))
    let latin1 = Array(path("caf").utf8) + [0xE9] + Array(".png".utf8)  // "café" in Latin-1
    XCTAssertTrue(FileManager.default.createFile(atPath: path("latin1-stand-in"), contents: nil))
    XCTAssertEqual(rename(path("latin1-stand-in"), latin1.map { CChar(bitPattern: $0) } + [0]), 0)
    let escaped = path("caf") + "\\xE9.png"
    let args: [[UInt8]] =
      [Array("check".utf8), latin1, Array(path("broken.png").utf8)]
      + (["--example", "--out", path("out2"), "--report", path("report2")] + run).map { Array($0.utf8) }
    let again = try await Task.detached { try AgfasCLI.run(bytes: args, environment: env) }.value
    XCTAssertEqual(again.status, 1, again.stderr)
    XCTAssertFalse(again.stderr.contains("fetching"), again.stderr)
    XCTAssertTrue(again.stderr.contains("no --oanet: no liveness verdict"), again.stderr)
    XCTAssertTrue(
      again.stderr.contains("skipped \(escaped): file name is not valid UTF-8; rename it"), again.stderr)
    let againLines = again.stdout.split(separator: "\n").map {
      try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
    XCTAssertEqual(againLines.map { $0["photo"] as? String }, [escaped, photo, path("broken.png")], again.stdout)
    XCTAssertEqual(againLines[0]["error"] as? String, "file name is not valid UTF-8; rename it")
    XCTAssertTrue(againLines[0]["face"] is NSNull)
    XCTAssertEqual(againLines[1]["face"] as? Int, 0)
    XCTAssertTrue(againLines[2]["face"] is NSNull)
    XCTAssertNotNil(againLines[2]["error"] as? String)
    let report = try String(contentsOfFile: path("report2/index.html"), encoding: .utf8)
    XCTAssertTrue(report.contains("caf\\xE9.png"), "the report lists the skipped photo")
  }

  /// Photos whose names are not UTF-8 are listed before anything is loaded; with none left,
  /// check stops there (exit 1) without fetching or loading a model.
  func testPhotosNamedInAnotherEncodingAreListedBeforeAnythingLoads() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-latin1-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    let raw = Array(root.path.utf8) + Array("/\u{1}photo-".utf8) + [0xFF, 0xFE] + Array(".jpg".utf8)
    let fd = open(raw.map { CChar(bitPattern: $0) } + [0], O_CREAT | O_WRONLY, 0o644)
    XCTAssertGreaterThanOrEqual(fd, 0)
    close(fd)
    let result = try AgfasCLI.run(
      bytes: [Array("check".utf8), raw],
      environment: ["AGFAS_HOME": root.path + "/home", "HF_HUB_OFFLINE": "1", "HF_HOME": root.path + "/hf"])
    XCTAssertEqual(result.status, 1, result.stderr)
    let shown = root.path + "/\\x01photo-\\xFF\\xFE.jpg"
    XCTAssertTrue(result.stderr.contains("skipped \(shown): file name is not valid UTF-8; rename it"), result.stderr)
    XCTAssertTrue(result.stderr.contains("no photo left to check: 1 skipped"), result.stderr)
    XCTAssertFalse(result.stderr.contains("fetching") || result.stderr.contains("loading"), result.stderr)
    let line = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
    XCTAssertEqual(line["photo"] as? String, shown)
    XCTAssertFalse(FileManager.default.fileExists(atPath: root.path + "/home"))
  }

  /// Runs the CLI off the test's own thread, so the in-process hub keeps answering.
  func cli(_ args: [String], _ env: [String: String?]) async throws -> AgfasCLI.Result {
    try await Task.detached { try AgfasCLI.run(args, environment: env) }.value
  }
}
