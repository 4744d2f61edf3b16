import AGFASDiffusion
import AGFASEngine
import AGFASNN
import AGFASTestSupport
import Foundation
import XCTest

/// AutoencoderKL against diffusers 0.16.1 (scripts/make_vae_fixtures.py): a tiny random model
/// in fp32 and bf16, both attention key spellings, config handling, and the full SD-1.5 VAE.
final class VAETests: XCTestCase {
  let fx = try! Fixture("vae_tiny")

  /// A JSON fixture file beside this test.
  func fixturePath(_ name: String) -> String {
    URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
  }

  /// The tiny model's state dict as stored under `spelling` (`weights_legacy` or `weights_new`).
  func weights(_ spelling: String) throws -> [String: Tensor] {
    let prefix = spelling + "/"
    return try Dictionary(
      uniqueKeysWithValues: fx.file.names.filter { $0.hasPrefix(prefix) }.map {
        (String($0.dropFirst(prefix.count)), try fx.file.tensor($0))
      })
  }

  func tinyModel(_ spelling: String = "weights_legacy", dtype: DType = .float32) throws -> AutoencoderKL {
    let config = try AutoencoderKLConfig.load(fixturePath("vae_tiny_config.json"))
    let model = try AutoencoderKL(config, ParameterStore().root())
    try model.load(weights(spelling).mapValues { $0.converted(to: dtype) })
    return model
  }

  /// Encodes, samples with the stored noise and decodes the stored sample, comparing each stage.
  func checkParity(_ model: AutoencoderKL, _ name: String, dtype: DType, rtol: Float, atol: Float) throws {
    let c = try fx.case(name)
    try withoutGrad {
      let posterior = try model.encode(c.tensor("x").converted(to: dtype))
      XCTAssertEqual(posterior.mean.dtype, dtype)
      assertClose(posterior.mean, try c.tensor("mean"), rtol: rtol, atol: atol, "\(name) mean")
      assertClose(posterior.logvar, try c.tensor("logvar"), rtol: rtol, atol: atol, "\(name) logvar")
      assertClose(posterior.std, try c.tensor("std"), rtol: rtol, atol: atol, "\(name) std")
      // The noise diffusers drew after torch.manual_seed(seed) is what TorchGenerator draws, up
      // to the last fp32 bit that libm's log/cos vs PyTorch's vectorised ones may differ in
      // (the engine's TorchGenerator tolerance); in bf16 that rarely flips a rounding.
      let noise = TorchGenerator(seed: UInt64(c.int("seed"))).randn(posterior.mean.shape, dtype: dtype)
      let noiseTolerance: Float = dtype == .float32 ? 2e-6 : 1.0 / 256
      assertClose(noise, try c.tensor("noise"), rtol: noiseTolerance, atol: 2e-6, "\(name) noise")
      assertClose(try posterior.sample(noise: noise), try c.tensor("sample"), rtol: rtol, atol: atol, "\(name) sample")
      XCTAssertEqual(posterior.mode().shape, posterior.mean.shape)
      let decoded = try model.decode(c.tensor("sample").converted(to: dtype))
      assertClose(decoded, try c.tensor("decoded"), rtol: rtol, atol: atol, "\(name) decoded")
    }
  }

  // fp32: ~20 convolutions, two attentions and many group norms deep; PyTorch's own fp32
  // output is 2e-6 from an fp64 run of the same model (outputs ~1.5), and oneDNN sums in other
  // orders, so rtol 1e-4 / atol 1e-5 (seen: 3e-6 worst).
  func testTinyFP32MatchesDiffusersForBatchOneAndNonSquareBatchTwo() throws {
    let model = try tinyModel()
    try checkParity(model, "fp32_b1", dtype: .float32, rtol: 1e-4, atol: 1e-5)
    try checkParity(model, "fp32_b2", dtype: .float32, rtol: 1e-4, atol: 1e-5)
  }

  // bf16: every op rounds to 8 mantissa bits and kernels round at other points than PyTorch's;
  // PyTorch's own bf16 decoder output is up to 0.032 from an fp64 run of the same bf16
  // weights (outputs ~1.7), so atol 0.04 / rtol 0.02 (seen: 0.027 worst).
  func testTinyBF16MatchesDiffusers() throws {
    try checkParity(tinyModel(dtype: .bfloat16), "bf16_b1", dtype: .bfloat16, rtol: 0.02, atol: 0.04)
  }

  func testNewAttentionSpellingLoadsTheSameWeights() throws {
    let legacy = try tinyModel("weights_legacy")
    let new = try tinyModel("weights_new")
    XCTAssertTrue(try weights("weights_new").keys.contains("encoder.mid_block.attentions.0.to_out.0.weight"))
    let (a, b) = (legacy.path.store.stateDict(), new.path.store.stateDict())
    XCTAssertEqual(Set(a.keys), Set(b.keys))
    for (key, value) in a { assertClose(b[key]!, value, rtol: 0, atol: 0, key) }
  }

  func testRenamingTouchesOnlyVAEAttentionKeys() throws {
    let t = Tensor.zeros([1])
    let renamed = VAEAttention.renamingAttentionKeys([
      "decoder.mid_block.attentions.0.to_q.bias": t,
      "decoder.mid_block.attentions.0.to_out.0.weight": t,
      "decoder.mid_block.attentions.0.to_out.1.weight": t,
      "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k.weight": t,
      "encoder.conv_in.weight": t,
    ])
    XCTAssertEqual(
      Set(renamed.keys),
      [
        "decoder.mid_block.attentions.0.query.bias", "decoder.mid_block.attentions.0.proj_attn.weight",
        "decoder.mid_block.attentions.0.to_out.1.weight",
        "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k.weight", "encoder.conv_in.weight",
      ])
    // Both spellings of one tensor: the new one is kept as is, so loading reports it.
    let both = VAEAttention.renamingAttentionKeys([
      "encoder.mid_block.attentions.0.key.weight": t, "encoder.mid_block.attentions.0.to_k.weight": t,
    ])
    XCTAssertEqual(
      Set(both.keys), ["encoder.mid_block.attentions.0.key.weight", "encoder.mid_block.attentions.0.to_k.weight"])
  }

  func testMissingAndMisnamedKeysAreReportedByName() throws {
    var dict = try weights("weights_legacy")
    dict["decoder.mid_block.attentions.0.values.weight"] = dict.removeValue(
      forKey: "decoder.mid_block.attentions.0.value.weight")
    dict.removeValue(forKey: "quant_conv.bias")
    dict["post_quant_conv.weight"] = Tensor.zeros([4, 4, 3, 3])
    let config = try AutoencoderKLConfig.load(fixturePath("vae_tiny_config.json"))
    let model = try AutoencoderKL(config, ParameterStore().root())
    XCTAssertThrowsError(try model.load(dict)) { error in
      let mismatch = error as? StateDictMismatch
      XCTAssertEqual(
        mismatch?.missing.sorted(), ["decoder.mid_block.attentions.0.value.weight", "quant_conv.bias"])
      XCTAssertEqual(mismatch?.unexpected, ["decoder.mid_block.attentions.0.values.weight"])
      XCTAssertEqual(
        mismatch?.misshaped, [.init(key: "post_quant_conv.weight", expected: [4, 4, 1, 1], found: [4, 4, 3, 3])])
    }
  }

  /// A small random projection of decode(sample(encode(x))) back-propagated to the input and
  /// three parameters (one inside the attention) matches PyTorch's autograd.
  func testGradientsMatchDiffusers() throws {
    let c = try fx.case("grad_b1")
    let model = try tinyModel()
    let store = model.path.store
    let names = ["encoder.conv_in.weight", "encoder.mid_block.attentions.0.query.weight", "decoder.conv_out.bias"]
    for n in names { store[n]!.value = store[n]!.value.requiringGrad() }
    let x = try c.tensor("x").requiringGrad()
    let posterior = try model.encode(x)
    let out = try model.decode(posterior.sample(noise: c.tensor("noise")))
    // fp32 through ~40 layers each way, and parameter gradients that sum over every position:
    // the order of summation (AVX2 kernels block differently from AVX-512) moves them as it
    // moves PyTorch's. Held to the fp64 result at PyTorch's own fp32 error.
    let exact = try Fixture("vae_tiny_fp64").file
    assertWithinReferenceError(out, torch: try c.tensor("out"), exact: try exact.tensor("grad_b1/out"), "out")
    try out.backward(c.gradOutput)
    assertWithinReferenceError(
      try XCTUnwrap(x.grad), torch: try c.grad("x"), exact: try exact.tensor("grad_b1/grad.x"), "grad x")
    for n in names {
      assertWithinReferenceError(
        try XCTUnwrap(store[n]!.value.grad), torch: try c.grad(n), exact: try exact.tensor("grad_b1/grad.\(n)"),
        "grad \(n)")
    }
  }

  func testConfigFilesDecodeWithDiffusersDefaults() throws {
    let sd15 = try AutoencoderKLConfig.load(fixturePath("vae_sd15_config.json"))
    XCTAssertEqual(sd15, .stableDiffusion15)
    XCTAssertEqual(sd15.scalingFactor, 0.18215)
    let tiny = try AutoencoderKLConfig.load(fixturePath("vae_tiny_config.json"))
    XCTAssertEqual(tiny.blockOutChannels, [8, 16, 16])
    XCTAssertEqual(tiny.normNumGroups, 4)
    let roundTrip = try JSONDecoder().decode(AutoencoderKLConfig.self, from: JSONEncoder().encode(sd15))
    XCTAssertEqual(roundTrip, sd15)
    let defaults = try JSONDecoder().decode(AutoencoderKLConfig.self, from: Data(#"{"sample_size": [256, 256]}"#.utf8))
    XCTAssertEqual(defaults.blockOutChannels, [64])
    XCTAssertEqual(defaults.layersPerBlock, 1)
    XCTAssertEqual(defaults.sampleSize, 256)
  }

  func testUnsupportedConfigsAndInputsThrowNamingKeyAndValue() throws {
    func message(_ json: String) -> String {
      do {
        let c = try JSONDecoder().decode(AutoencoderKLConfig.self, from: Data(json.utf8))
        try c.validate()
        return "no error"
      } catch {
        return "\(error)"
      }
    }
    XCTAssertTrue(message(#"{"act_fn": "gelu"}"#).contains("act_fn = gelu"))
    XCTAssertTrue(message(#"{"down_block_types": ["AttnDownEncoderBlock2D"]}"#).contains("AttnDownEncoderBlock2D"))
    XCTAssertTrue(
      message(#"{"block_out_channels": [64, 128]}"#).contains("down_block_types = [\"DownEncoderBlock2D\"]"))
    XCTAssertTrue(
      message(#"{"block_out_channels": [48], "norm_num_groups": 32}"#).contains("block_out_channels = [48]"))
    XCTAssertTrue(message(#"{"latent_channels": 0}"#).contains("latent_channels = 0"))
    XCTAssertTrue(message(#"{"_class_name": "UNet2DConditionModel"}"#).contains("_class_name = UNet2DConditionModel"))
    var bad = AutoencoderKLConfig.stableDiffusion15
    bad.upBlockTypes[3] = "AttnUpDecoderBlock2D"
    XCTAssertThrowsError(try AutoencoderKL(bad, ParameterStore().root())) {
      XCTAssertTrue("\($0)".contains("up_block_types = AttnUpDecoderBlock2D"), "\($0)")
    }
    let tiny = try tinyModel()
    XCTAssertThrowsError(try tiny.decode(Tensor.zeros([1, 3, 8, 8]))) {
      XCTAssertTrue("\($0)".contains("AutoencoderKL.decode") && "\($0)".contains("[1, 3, 8, 8]"), "\($0)")
    }
    XCTAssertThrowsError(
      try DiagonalGaussian(moments: Tensor.zeros([1, 8, 2, 2])).sample(noise: Tensor.zeros([1, 8, 2, 2]))
    ) {
      XCTAssertTrue("\($0)".contains("DiagonalGaussian.sample"), "\($0)")
    }
    XCTAssertThrowsError(try AutoencoderKLConfig.load("/nonexistent/config.json")) {
      XCTAssertTrue("\($0)".contains("/nonexistent/config.json"), "\($0)")
    }
  }

  /// The SD-1.5 VAE built from its config.json has exactly diffusers' keys, shapes and size.
  func testSD15BuildsWithDiffusersKeysAndShapes() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("vae_sd15_keys.json")))
    let expected = try JSONDecoder().decode([String: [Int]].self, from: data)
    let store = ParameterStore(initialization: .fast)
    _ = try AutoencoderKL(AutoencoderKLConfig.load(fixturePath("vae_sd15_config.json")), store.root())
    let actual = Dictionary(uniqueKeysWithValues: store.all.map { ($0.path, $0.shape) })
    XCTAssertEqual(Set(actual.keys).subtracting(expected.keys).sorted(), [], "keys diffusers lacks")
    XCTAssertEqual(Set(expected.keys).subtracting(actual.keys).sorted(), [], "keys the model lacks")
    for (key, shape) in expected where actual[key] != nil { XCTAssertEqual(actual[key], shape, key) }
    XCTAssertEqual(store.all.reduce(0) { $0 + Shape.count($1.shape) }, 83_653_863)
  }

  /// A 256x256 face (the AG-FAS size) encodes to a 4x32x32 latent and decodes back.
  func testSD15Maps256ImageToLatentAndBack() throws {
    let store = ParameterStore(initialization: .fast)
    let vae = try AutoencoderKL(.stableDiffusion15, store.root())
    let x = TorchGenerator(seed: 0).randn([1, 3, 256, 256])
    let start = Date()
    let posterior = try withoutGrad { try vae.encode(x) }
    let encoded = Date()
    let image = try withoutGrad { try vae.decode(posterior.mode()) }
    print(
      "SD-1.5 VAE at 256x256: encode \(encoded.timeIntervalSince(start)) s, decode \(Date().timeIntervalSince(encoded)) s"
    )
    XCTAssertEqual(posterior.mean.shape, [1, 4, 32, 32])
    XCTAssertEqual(posterior.logvar.shape, [1, 4, 32, 32])
    XCTAssertEqual(image.shape, [1, 3, 256, 256])
    XCTAssertTrue(image.toArray().allSatisfy(\.isFinite))
  }
}
