import AGFASCheckpoint
import AGFASOANet
import AGFASTestSupport
import Foundation
import XCTest

/// The ViT folder's config.json and OA-Net config files (issue 12): a key written twice or a
/// value of the wrong type is refused with the file, the key and its object named, never read
/// as one of the two values or reported as a `DecodingError` dump.
final class ConfigFileTests: XCTestCase {
  var root: URL!

  override func setUpWithError() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-oanet-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

  func write(_ text: String, _ name: String) throws -> String {
    let url = root.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
    return url.path
  }

  /// A copy of the tiny ViT folder whose config.json is `config`.
  func vitFolder(config: String) throws -> String {
    let folder = root.appendingPathComponent("vit")
    try? FileManager.default.removeItem(at: folder)
    try FileManager.default.copyItem(at: URL(fileURLWithPath: OANetFixture.path("vit_tiny")), to: folder)
    _ = try write(config, "vit/config.json")
    return folder.path
  }

  func testViTFolderConfigRefusesDuplicateKeysAndWrongTypes() throws {
    let original = try String(contentsOfFile: OANetFixture.path("vit_tiny/config.json"), encoding: .utf8)
    let duplicated = try vitFolder(config: original.replacingOccurrences(of: "{", with: "{\"hidden_size\": 768,"))
    let dup = errorMessage { _ = try ModelFolder(path: duplicated).config(ViTConfig.self) }
    XCTAssertEqual(
      dup, "\(duplicated)/config.json: not a valid model config: key 'hidden_size' appears twice; remove one")
    let resnet = OANetFixture.path("resnet_tiny.pth")
    XCTAssertTrue(
      errorMessage { _ = try OANet(pretrainedViT: duplicated, resnet: resnet) }.contains(
        "key 'hidden_size' appears twice"))

    let wrong = try vitFolder(
      config: original.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": \"2\""))
    let w = errorMessage { _ = try ModelFolder(path: wrong).config(ViTConfig.self) }
    XCTAssertTrue(w.hasPrefix("\(wrong)/config.json: not a valid model config: key 'num_hidden_layers': "), w)
    XCTAssertFalse(w.contains("DecodingError") || w.contains("Context("), w)
  }

  func testOANetConfigFileRefusesDuplicateKeysAndWrongTypes() throws {
    let good = try write(#"{"cue_width": 2, "vit": {"hidden_size": 32, "num_attention_heads": 2}}"#, "good.json")
    XCTAssertEqual(try OANetPredictor.readConfig(good).vit.hiddenSize, 32)
    let dup = try write(#"{"cue_width": 2, "vit": {"hidden_size": 32, "hidden_size": 64}}"#, "dup.json")
    XCTAssertEqual(
      errorMessage { _ = try OANetPredictor.readConfig(dup) },
      "OA-Net config: \(dup): not an OA-Net config: key 'hidden_size' appears twice in 'vit'; remove one")
    let top = try write(#"{"num_domains": 3, "cue_width": 2, "num_domains": 4}"#, "top.json")
    XCTAssertTrue(errorMessage { _ = try OANetPredictor.readConfig(top) }.contains("key 'num_domains' appears twice;"))
    let wrong = try write(#"{"num_domains": true}"#, "wrong.json")
    let w = errorMessage { _ = try OANetPredictor.readConfig(wrong) }
    XCTAssertTrue(w.hasPrefix("OA-Net config: \(wrong): not an OA-Net config: key 'num_domains': "), w)
    let nested = try write(#"{"vit": {"patch_size": [16]}}"#, "nested.json")
    XCTAssertTrue(errorMessage { _ = try OANetPredictor.readConfig(nested) }.contains("key 'vit.patch_size': "))
    for text in [w, errorMessage { _ = try OANetPredictor.readConfig(nested) }] {
      XCTAssertFalse(text.contains("DecodingError") || text.contains("Context("), text)
    }
    // A FIFO is refused, not waited on; a missing file is said so.
    let fifo = root.appendingPathComponent("fifo.json").path
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    XCTAssertTrue(errorMessage { _ = try OANetPredictor.readConfig(fifo) }.contains("FIFO"))
    XCTAssertTrue(errorMessage { _ = try OANetPredictor.readConfig(root.path + "/none.json") }.contains("none.json"))
  }

  /// `predict --config` with a duplicate key stops before loading anything, naming file and key.
  func testPredictRefusesAConfigWithADuplicateKey() throws {
    let dup = try write(#"{"cue_width": 2, "cue_width": 4}"#, "dup.json")
    let folder = PredictCLITests.folder
    let result = try AgfasCLI.run([
      "predict", "--oanet", folder + "/model.pth", "--config", dup, folder + "/face0.png", "--reconstruction",
      folder + "/rec0.png",
    ])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(result.stderr.contains("\(dup): not an OA-Net config: key 'cue_width' appears twice"), result.stderr)
  }
}
