import AGFASDiffusion
import Foundation
import XCTest

/// Hostile configs (issue 12): values that size memory are bounded before allocation, betas
/// must be noise variances, and bad files get a sentence naming the file and the key.
final class ConfigLimitsTests: XCTestCase {
  var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

  func write(_ json: String, _ name: String = "config.json") throws -> String {
    let path = folder.appendingPathComponent(name).path
    try Data(json.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  func message(_ body: () throws -> Any) -> String {
    do {
      _ = try body()
      return "no error"
    } catch { return "\(error)" }
  }

  let sd15Scheduler = """
    "_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear", \
    "beta_start": 0.00085, "skip_prk_steps": true, "steps_offset": 1
    """

  func testSchedulerSizesAndBetasAreBounded() throws {
    XCTAssertEqual(message { try SchedulerConfig.load(try self.write("{\(self.sd15Scheduler)}")) }, "no error")
    let huge = try write(#"{"num_train_timesteps": 4e12, "skip_prk_steps": true}"#, "huge.json")
    let text = message { try SchedulerConfig.load(huge) }
    XCTAssertTrue(text.contains("huge.json") && text.contains("num_train_timesteps is 4000000000000"), text)
    XCTAssertTrue(text.contains("at most 100000"), text)
    let black = try write(
      #"{"beta_start": 2.0, "beta_end": 5.0, "beta_schedule": "linear", "skip_prk_steps": true}"#, "black.json")
    let betas = message { try SchedulerConfig.load(black) }
    XCTAssertTrue(betas.contains("black.json") && betas.contains("must lie in (0, 1)"), betas)
    let down = try write(#"{"beta_start": 0.02, "beta_end": 0.001, "skip_prk_steps": true}"#, "down.json")
    XCTAssertTrue(message { try SchedulerConfig.load(down) }.contains("must not decrease"))
    let trained = try write(
      #"{"num_train_timesteps": 3, "trained_betas": [0.1, 0.5, 1.0], "skip_prk_steps": true}"#, "trained.json")
    XCTAssertTrue(message { try SchedulerConfig.load(trained) }.contains("trained_betas gives beta[2] = 1.0"))
    let offset = try write(#"{"steps_offset": 9223372036854775807, "skip_prk_steps": true}"#, "offset.json")
    XCTAssertTrue(message { try SchedulerConfig.load(offset) }.contains("steps_offset is 9223372036854775807"))
    // As many steps as training timesteps with offset 1 would index past the schedule.
    let p = try PNDMScheduler(config: .stableDiffusion15)
    XCTAssertTrue(message { try p.setTimesteps(1000) }.contains("outside 0..<1000"))
  }

  func testUNetAndVAEWidthsAreBoundedBeforeAllocation() throws {
    let unet = try write(#"{"block_out_channels": [1048576, 2097152]}"#, "unet.json")
    let text = message { try UNetConfig.load(unet) }
    XCTAssertTrue(text.contains("block_out_channels") && text.contains("at most 8192"), text)
    for (json, key) in [
      (#"{"layers_per_block": 1000}"#, "layers_per_block"), (#"{"attention_head_dim": 4096}"#, "attention_head_dim"),
      (#"{"cross_attention_dim": 100000}"#, "cross_attention_dim"), (#"{"in_channels": 100000}"#, "in_channels"),
      (#"{"block_out_channels": [8192, 8192, 8192, 8192], "layers_per_block": 16}"#, "parameters"),
    ] {
      let path = try write(json, "u.json")
      let m = message { try UNetConfig.load(path) }
      XCTAssertTrue(m.contains(key), "\(json): \(m)")
    }
    XCTAssertEqual(message { try UNetConfig.stableDiffusion15.validate() }, "no error")
    let vae = try write(#"{"block_out_channels": [1048576], "norm_num_groups": 32}"#, "vae.json")
    let v = message { try AutoencoderKLConfig.load(vae) }
    XCTAssertTrue(v.contains("vae.json") && v.contains("block_out_channels = 1048576"), v)
    XCTAssertEqual(message { try AutoencoderKLConfig.stableDiffusion15.validate() }, "no error")
  }

  func testDuplicateKeysAndWrongTypesAreSentencesNamingFileAndKey() throws {
    let dup = try write("{\(sd15Scheduler), \"beta_end\": 5}", "dup.json")
    let d = message { try SchedulerConfig.load(dup) }
    XCTAssertTrue(d.contains("dup.json") && d.contains("key 'beta_end' appears twice"), d)
    let nested = try write(#"{"block_out_channels": [8, 16], "x": {"a": 1, "a": 2}}"#, "nested.json")
    XCTAssertTrue(message { try UNetConfig.load(nested) }.contains("key 'a' appears twice in 'x'"))
    // The scanner itself (escaped spellings, keys in different objects) is tested in AGFASJSONTests.
    for (json, key) in [
      (#"{"num_train_timesteps": "many"}"#, "key 'num_train_timesteps'"),
      (#"{"block_out_channels": [true]}"#, "key 'block_out_channels[0]'"),
      (#"{"block_out_channels": "#, "not valid JSON"),
    ] {
      let path = try write(json, "bad.json")
      let m = message { try UNetConfig.load(path) } + message { try SchedulerConfig.load(path) }
      XCTAssertTrue(m.contains(key) && m.contains("bad.json"), "\(json): \(m)")
      XCTAssertFalse(m.contains("DecodingError") || m.contains("Context("), m)
    }
    let vae = try write(#"{"layers_per_block": "two"}"#, "vae.json")
    let v = message { try AutoencoderKLConfig.load(vae) }
    XCTAssertTrue(v.contains("key 'layers_per_block'") && !v.contains("DecodingError"), v)
  }
}
