import AGFASDiffusion
import AGFASEngine
import AGFASNN
import AGFASTestSupport
import Foundation
import XCTest

/// UNet2DConditionModel against diffusers 0.16.1 on tiny random models
/// (scripts/make_unet_fixtures.py), and the full SD-1.5 architecture's keys and shapes.
final class UNetTests: XCTestCase {
  /// A tiny fixture model built from its case's config and loaded strictly.
  func model(_ c: FixtureCase, dtype: DType = .float32) throws -> UNet2DConditionModel {
    let data = try JSONSerialization.data(withJSONObject: c.params["config"] ?? [:])
    let config = try JSONDecoder().decode(UNetConfig.self, from: data)
    let store = ParameterStore()
    let unet = try UNet2DConditionModel(store.root(), config: config)
    try store.load(stateDict(c).mapValues { $0.converted(to: dtype) })
    return unet
  }

  /// The fixture model's weights (stored once, with the fp32 case).
  func stateDict(_ c: FixtureCase) throws -> [String: Tensor] {
    let prefix = "fp32/sd."
    var sd: [String: Tensor] = [:]
    for name in c.file.names where name.hasPrefix(prefix) {
      sd[String(name.dropFirst(prefix.count))] = try c.file.tensor(name)
    }
    return sd
  }

  func fixturePath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
  }

  func testTimestepEmbeddingEqualsDiffusers() throws {
    try forEachCase(Fixture("unet_timesteps"), prefix: "dim") { c in
      let t = Timesteps(channels: c.int("dim"), flipSinToCos: c.bool("flip"), downscaleFreqShift: c.float("shift"))
      // torch's vectorised exp is 1 ulp off the correctly rounded frequency for a few i (3 of
      // 160 at dim 320); t = 999 scales that ulp (6e-8) to ~6e-5 in the angle.
      assertClose(try t(c.input("timesteps").toArray()), try c.output, rtol: 0, atol: 1e-4, c.name)
    }
  }

  /// Conv projections, int heads, per-sample timesteps 801 and 1, batch 2.
  func testTinyUNetMatchesDiffusersFP32() throws {
    let c = try Fixture("unet_tiny").case("fp32")
    let unet = try model(c)
    let out = try withoutGrad {
      try unet(c.input("sample"), timestep: c.input("timestep"), encoderHiddenStates: c.input("context"))
    }
    // ~30 layers deep with 1e-7-level reordering differences in every GEMM/conv.
    assertClose(out, try c.output, rtol: 1e-4, atol: 1e-5, "unet tiny fp32")
  }

  /// The same model cast to bf16 (weights, inputs, every activation).
  func testTinyUNetMatchesDiffusersBF16() throws {
    let c = try Fixture("unet_tiny").case("bf16")
    let sample = try c.input("sample").converted(to: .bfloat16)
    let context = try c.input("context").converted(to: .bfloat16)
    // bf16 weights as in the cast torch model, and fp32 weights that the layers convert.
    for weights in [DType.bfloat16, .float32] {
      let unet = try model(c, dtype: weights)
      let out = try withoutGrad { try unet(sample, timestep: c.input("timestep"), encoderHiddenStates: context) }
      XCTAssertEqual(out.dtype, .bfloat16)
      // bf16 keeps 8 bits and the two sides round in different places (fused kernels, fp32
      // softmax); the gap (max 0.02 on outputs up to 1.6) is the size of torch bf16's own
      // distance from its fp32 output.
      assertClose(out, try c.output, rtol: 2e-2, atol: 4e-2, "unet tiny bf16, \(weights) weights")
    }
  }

  /// Linear projections, per-block heads [2, 4], only_cross_attention in block 0, two layers
  /// per block, downsample_padding 0, flip_sin_to_cos off, freq_shift 1, 12x10 sample and a
  /// fractional scalar timestep.
  func testLinearProjectionUNetMatchesDiffusers() throws {
    let c = try Fixture("unet_linear").case("fp32")
    let unet = try model(c)
    let out = try withoutGrad {
      try unet(c.input("sample"), timestep: c.float("timestep"), encoderHiddenStates: c.input("context"))
    }
    assertClose(out, try c.output, rtol: 1e-4, atol: 1e-5, "unet linear fp32")
  }

  func testGradientsReachSampleAndContext() throws {
    let c = try Fixture("unet_tiny").case("fp32")
    let unet = try model(c)
    let sample = try c.input("sample").requiringGrad()
    let context = try c.input("context").requiringGrad()
    let out = try unet(sample, timestep: c.input("timestep"), encoderHiddenStates: context)
    try (out * c.gradOutput).sum().backward()
    assertClose(try XCTUnwrap(sample.grad), try c.grad("sample"), rtol: 1e-4, atol: 1e-5, "d sample")
    assertClose(try XCTUnwrap(context.grad), try c.grad("context"), rtol: 1e-4, atol: 1e-5, "d context")
  }

  func testLoadingNamesARenamedKey() throws {
    let c = try Fixture("unet_tiny").case("fp32")
    let config = try UNetConfig.load(fixturePath("unet_tiny.config.json"))
    let store = ParameterStore()
    _ = try UNet2DConditionModel(store.root(), config: config)
    var sd = try stateDict(c)
    let key = "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"
    sd["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_key.weight"] = sd.removeValue(forKey: key)
    XCTAssertThrowsError(try store.load(sd)) { error in
      let mismatch = error as? StateDictMismatch
      XCTAssertEqual(mismatch?.missing, [key])
      XCTAssertEqual(mismatch?.unexpected, ["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_key.weight"])
    }
  }

  /// The full SD-1.5 UNet from the config diffusers saves (with an unet_ema folder's extra
  /// keys): diffusers' exact key set and shapes, and a forward at the AG-FAS latent size.
  func testSD15BuildsWithDiffusersKeysAndShapesAndRuns() throws {
    let config = try UNetConfig.load(fixturePath("unet_sd15.config.json"))
    XCTAssertEqual(config.crossAttentionDim, .all(768))
    let store = ParameterStore(initialization: .fast)
    var clock = Date()
    let unet = try UNet2DConditionModel(store.root(), config: config)
    let buildTime = Date().timeIntervalSince(clock)
    let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("unet_sd15.keys.json")))
    let expected = try JSONDecoder().decode([String: [Int]].self, from: data)
    let ours = Dictionary(uniqueKeysWithValues: store.all.map { ($0.path, $0.shape) })
    XCTAssertEqual(Set(ours.keys).subtracting(expected.keys).sorted(), [], "keys diffusers does not have")
    XCTAssertEqual(Set(expected.keys).subtracting(ours.keys).sorted(), [], "diffusers keys missing here")
    for (key, shape) in expected where ours[key] != nil {
      XCTAssertEqual(ours[key], shape, key)
    }
    XCTAssertEqual(store.all.reduce(0) { $0 + Shape.count($1.shape) }, 859_520_964)

    // bf16 weights (converted one at a time) halve the test's peak memory: 3.4 GB of fp32
    // weights plus their reordered copies would peak near 7 GB.
    for p in store.all { p.value = p.value.converted(to: .bfloat16) }
    let generator = TorchGenerator(seed: 0)
    let latent = generator.randn([1, 4, 32, 32], dtype: .bfloat16)
    let context = generator.randn([1, 49, 768], dtype: .bfloat16)
    clock = Date()
    let out = try withoutGrad { try unet(latent, timestep: 801, encoderHiddenStates: context) }
    let forwardTime = Date().timeIntervalSince(clock)
    XCTAssertEqual(out.shape, [1, 4, 32, 32])
    XCTAssertEqual(out.dtype, .bfloat16)
    XCTAssertTrue(out.toArray().allSatisfy(\.isFinite))
    print(String(format: "SD-1.5 UNet: build %.1f s, forward 1x4x32x32 %.1f s", buildTime, forwardTime))
  }

  /// Absent keys keep diffusers' defaults, present ones (null included) replace them, and a
  /// config written back reads the same.
  func testConfigReadsDefaultsNullsAndRoundTrips() throws {
    XCTAssertEqual(try JSONDecoder().decode(UNetConfig.self, from: Data("{}".utf8)), UNetConfig())
    let noMid = try JSONDecoder().decode(UNetConfig.self, from: Data(#"{"mid_block_type": null}"#.utf8))
    XCTAssertNil(noMid.midBlockType)
    XCTAssertNotNil(UNetConfig().midBlockType)
    for name in ["unet_sd15.config.json", "unet_tiny.config.json"] {
      let config = try UNetConfig.load(fixturePath(name))
      XCTAssertEqual(try JSONDecoder().decode(UNetConfig.self, from: JSONEncoder().encode(config)), config, name)
    }
    let tiny = try UNetConfig.load(fixturePath("unet_tiny.config.json"))
    XCTAssertEqual(tiny.blockOutChannels, [16, 32])
    XCTAssertEqual(tiny.layersPerBlock, .all(1))
    XCTAssertEqual(tiny.attentionHeadDim, .all(2))
    let json = try JSONSerialization.data(withJSONObject: Fixture("unet_linear").case("fp32").params["config"] ?? [:])
    let linear = try JSONDecoder().decode(UNetConfig.self, from: json)
    XCTAssertEqual(linear.attentionHeadDim, .each([2, 4]))
    XCTAssertEqual(linear.onlyCrossAttention, .each([true, false]))
  }

  func testUnsupportedConfigValuesNameTheirKey() throws {
    let tiny: [String: Any] = [
      "block_out_channels": [8, 16], "norm_num_groups": 4, "cross_attention_dim": 8, "attention_head_dim": 2,
      "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
      "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    ]
    func error(_ overrides: [String: Any]) throws -> String {
      let json = try JSONSerialization.data(withJSONObject: tiny.merging(overrides) { $1 })
      do {
        _ = try UNet2DConditionModel(ParameterStore().root(), config: JSONDecoder().decode(UNetConfig.self, from: json))
        return "no error"
      } catch { return "\(error)" }
    }
    XCTAssertEqual(try error([:]), "no error")
    let cases: [(String, Any, String)] = [
      ("upcast_attention", true, "upcast_attention = true is not supported"),
      (
        "down_block_types", ["SimpleCrossAttnDownBlock2D", "DownBlock2D"],
        "down_block_types = SimpleCrossAttnDownBlock2D"
      ),
      ("up_block_types", ["UpBlock2D", "AttnUpBlock2D"], "up_block_types = AttnUpBlock2D"),
      ("mid_block_type", "UNetMidBlock2DSimpleCrossAttn", "mid_block_type = UNetMidBlock2DSimpleCrossAttn"),
      ("attention_head_dim", [2, 4, 8], "attention_head_dim has 3 entries for 2 down blocks"),
      ("resnet_time_scale_shift", "scale_shift", "resnet_time_scale_shift = scale_shift"),
      ("class_embed_type", "timestep", "class_embed_type = timestep"),
      ("norm_num_groups", 3, "norm_num_groups = 3 does not divide 8 channels"),
      ("norm_num_groups", NSNull(), "norm_num_groups = null"),
      ("act_fn", "mish", "act_fn = mish"),
      ("time_embedding_type", "fourier", "time_embedding_type = fourier"),
      ("num_attention_heads", 4, "num_attention_heads = "),
    ]
    for (key, value, message) in cases {
      let text = try error([key: value])
      XCTAssertTrue(text.contains(message), "\(key): \(text)")
    }
    XCTAssertThrowsError(try UNetConfig.load(fixturePath("missing.json"))) { error in
      XCTAssertTrue("\(error)".contains("missing.json"), "\(error)")
    }
  }

  func testBadInputsThrowNamingShapes() throws {
    let c = try Fixture("unet_tiny").case("fp32")
    let unet = try model(c)
    let (sample, context) = (try c.input("sample"), try c.input("context"))
    func message(_ body: () throws -> Tensor) -> String {
      do { _ = try withoutGrad(body) } catch { return "\(error)" }
      return "no error"
    }
    XCTAssertTrue(
      message { try unet(Tensor.zeros([2, 3, 16, 16]), timestep: 1, encoderHiddenStates: context) }
        .contains("sample must be [B, 4, H, W]"))
    XCTAssertTrue(
      message { try unet(Tensor.zeros([2, 4, 15, 16]), timestep: 1, encoderHiddenStates: context) }
        .contains("multiples of 2"))
    XCTAssertTrue(
      message { try unet(sample, timestep: 1, encoderHiddenStates: Tensor.zeros([2, 7, 16])) }
        .contains("encoderHiddenStates must be [B, S, [24]]"))
    XCTAssertTrue(
      message { try unet(sample, timestep: Tensor.zeros([3]), encoderHiddenStates: context) }
        .contains("3 timesteps for a batch of 2"))
  }
}
