import AGFASDiffusion
import AGFASEngine
import AGFASNN
import AGFASTestSupport
import Foundation
import XCTest

/// No oneDNN reference kernel runs in the tiny UNets' and VAE's work, in fp32 and bf16, at the
/// ISA level the process runs at: CI runs this suite at the host's level and capped with
/// `ONEDNN_MAX_CPU_ISA=AVX512_CORE` and `=AVX2`. Tiny shapes count: users run tiny models too.
final class DiffusionHotPathTests: XCTestCase {
  /// A fixture UNet (`unet_tiny`: conv projections; `unet_linear`: linear ones), its inputs
  /// and a target of the output's shape.
  func tinyUNet(_ family: String) throws -> (UNet2DConditionModel, ParameterStore, FixtureCase) {
    let c = try Fixture(family).case("fp32")
    let config = try JSONDecoder().decode(
      UNetConfig.self, from: JSONSerialization.data(withJSONObject: c.params["config"] ?? [:]))
    let store = ParameterStore()
    let unet = try UNet2DConditionModel(store.root(), config: config)
    var sd: [String: Tensor] = [:]
    for name in c.file.names where name.hasPrefix("fp32/sd.") {
      sd[String(name.dropFirst("fp32/sd.".count))] = try c.file.tensor(name)
    }
    try store.load(sd)
    return (unet, store, c)
  }

  /// Inference as the DFG pipeline runs it: weights and activations in the compute type.
  func testUNetForwardRunsNoReferenceKernel() throws {
    for family in ["unet_tiny", "unet_linear"] {
      let (unet, store, c) = try tinyUNet(family)
      let masters = store.all.map { ($0, $0.value) }
      try assertNoReferenceKernels("\(family) forward") { dtype in
        for (p, value) in masters { p.value = value.converted(to: dtype) }
        let out = try withoutGrad {
          try unet(
            c.input("sample").converted(to: dtype), timestep: 801,
            encoderHiddenStates: c.input("context").converted(to: dtype))
        }
        XCTAssertEqual(out.dtype, dtype)
      }
    }
  }

  /// A fine-tuning step: forward, an MSE loss against a noise target, backward to every
  /// weight and the inputs, SGD; bf16 computes over fp32 masters (`MixedPrecision`).
  func testUNetTrainingStepRunsNoReferenceKernel() throws {
    for family in ["unet_tiny", "unet_linear"] {
      let (unet, store, c) = try tinyUNet(family)
      let optimizer = try SGD(parameters: store.trainable, learningRate: 1e-3, momentum: 0.9)
      let (sample, context) = (try c.input("sample"), try c.input("context"))
      let target = TorchGenerator(seed: 1).randn(sample.shape)
      try assertNoReferenceKernels("\(family) training step") { dtype in
        optimizer.zeroGrad()
        let (x, cond) = (sample.converted(to: dtype).requiringGrad(), context.converted(to: dtype).requiringGrad())
        try MixedPrecision(computeType: dtype).run(optimizer.parameters) {
          let out = try unet(x, timestep: 801, encoderHiddenStates: cond)
          let error = try out.converted(to: .float32) - target
          try (error * error).mean().backward()
        }
        XCTAssertNotNil(x.grad)
        XCTAssertNotNil(cond.grad)
        XCTAssertEqual(try optimizer.step(), optimizer.parameters.count, "every weight has a gradient")
      }
    }
  }

  /// The VAE's encode (posterior, sample) and decode, as the DFG pipeline runs them.
  func testVAEEncodeAndDecodeRunNoReferenceKernel() throws {
    let fx = try Fixture("vae_tiny")
    let config = try AutoencoderKLConfig.load(
      URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures/vae_tiny_config.json"
      ).path)
    var weights: [String: Tensor] = [:]
    for name in fx.file.names where name.hasPrefix("weights_legacy/") {
      weights[String(name.dropFirst("weights_legacy/".count))] = try fx.file.tensor(name)
    }
    let image = try fx.case("fp32_b2").tensor("x")
    try assertNoReferenceKernels("VAE encode and decode") { dtype in
      let vae = try AutoencoderKL(config, ParameterStore().root())
      try vae.load(weights.mapValues { $0.converted(to: dtype) })
      try withoutGrad {
        let posterior = try vae.encode(image.converted(to: dtype))
        let latent = try posterior.sample(noise: TorchGenerator(seed: 0).randn(posterior.mean.shape, dtype: dtype))
        let decoded = try vae.decode(latent)
        XCTAssertEqual(decoded.shape, image.shape)
        XCTAssertEqual(decoded.dtype, dtype)
      }
    }
  }
}
