import AGFASEngine
import AGFASNN
import AGFASOANet
import AGFASTestSupport
import XCTest

/// A fresh OA-Net and discriminator start as the reference initialises them (docs/method.md §4, §5).
final class OANetInitializationTests: XCTestCase {
  /// Wide enough heads for the statistics, small enough to draw in a debug build.
  let config = OANetConfig(
    vit: ViTConfig(
      hiddenSize: 64, numHiddenLayers: 1, numAttentionHeads: 1, intermediateSize: 64, imageSize: 32,
      patchSize: 16),
    cueWidth: 8, embeddingDim: 512, discriminatorHidden: 512)

  func stats(_ p: Parameter?) throws -> (mean: Float, std: Float, values: [Float]) {
    let v = try XCTUnwrap(p).value.toArray()
    let mean = v.reduce(0, +) / Float(v.count)
    let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(v.count)
    return (mean, variance.squareRoot(), v)
  }

  /// Within 5% of the target std (>= 2,300 draws each: the estimate's own error is < 1.5%).
  func assertNormal(_ p: Parameter?, std: Float, _ what: String) throws {
    let s = try stats(p)
    XCTAssertEqual(s.std, std, accuracy: 0.05 * std, "\(what) std")
    XCTAssertEqual(s.mean, 0, accuracy: 0.1 * std, "\(what) mean")
  }

  func testHeadsAndCrossAttentionStartAsTheReference() throws {
    let model = try OANet(config: config, seed: 3)
    let s = model.store
    try assertNormal(s["embedder.bottleneck_layer_fc.weight"], std: 0.005, "embedder")
    XCTAssertEqual(Set(try stats(s["embedder.bottleneck_layer_fc.bias"]).values), [0.1])
    try assertNormal(s["classifier.classifier_layer.weight"], std: 0.01, "classifier")
    XCTAssertEqual(Set(try stats(s["classifier.classifier_layer.bias"]).values), [0])
    // Cross-attention as the reference's ViTCrossModel leaves it: ViT's init (weights
    // N(0, 0.02), biases 0), then a zero output weight.
    let layer = "backbone.vit.encoder.layer.0."
    XCTAssertEqual(Set(try stats(s[layer + "crossattention.dense.weight"]).values), [0])
    XCTAssertEqual(Set(try stats(s[layer + "crossattention.dense.bias"]).values), [0])
    try assertNormal(s[layer + "crossattention.key.weight"], std: 0.02, "cross-attention key")
    XCTAssertEqual(Set(try stats(s[layer + "crossattention.query.bias"]).values), [0])
    XCTAssertEqual(Set(try stats(s[layer + "ln_cross_attn.weight"]).values), [1])
    // layer4 as torchvision: kaiming normal, fan_out, ReLU gain.
    try assertNormal(s["embedder_res.layer4.0.conv2.weight"], std: (2 / Float(64 * 9)).squareRoot(), "layer4 conv2")
    try assertNormal(s["embedder_res.layer4.0.downsample.0.weight"], std: (2 / Float(64)).squareRoot(), "downsample")
    XCTAssertEqual(Set(try stats(s["embedder_res.layer4.1.bn2.running_var"]).values), [1])
  }

  func testDiscriminatorStartsAsSSDGs() throws {
    let d = try DomainDiscriminator(config: config, seed: 4)
    XCTAssertEqual(d.store.all.map(\.path), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
    try assertNormal(d.store["fc1.weight"], std: 0.01, "fc1")
    try assertNormal(d.store["fc2.weight"], std: 0.3, "fc2")
    XCTAssertEqual(Set(try stats(d.store["fc1.bias"]).values), [0])
    XCTAssertEqual(Set(try stats(d.store["fc2.bias"]).values), [0])
    XCTAssertEqual(d.store["fc2.weight"]?.shape, [3, 512])
  }

  func testGRLScheduleIsSSDGs() {
    XCTAssertEqual(DomainDiscriminator.reversalCoefficient(iteration: 0), 0)
    XCTAssertEqual(DomainDiscriminator.reversalCoefficient(iteration: 200), 0.24491866, accuracy: 1e-7)
    XCTAssertEqual(DomainDiscriminator.reversalCoefficient(iteration: 4000), 0.9999092, accuracy: 1e-7)
  }

  func testConfigsDecodeFromJSONWithReferenceDefaultsAndRejectUnsupportedValues() throws {
    let decoded = try JSONDecoder().decode(OANetConfig.self, from: Data(#"{"vit": {"hidden_size": 768}}"#.utf8))
    XCTAssertEqual(decoded, .reference)
    let vit = try JSONDecoder().decode(
      ViTConfig.self, from: Data(#"{"hidden_size": 32, "num_attention_heads": 2, "encoder_stride": 16}"#.utf8))
    XCTAssertEqual(vit.hiddenSize, 32)
    XCTAssertEqual(vit.layerNormEps, 1e-12)
    let roundTrip = try JSONDecoder().decode(OANetConfig.self, from: JSONEncoder().encode(config))
    XCTAssertEqual(roundTrip, config)
    for (change, message) in [
      ({ (c: inout ViTConfig) in c.hiddenAct = "relu" }, #"hidden_act relu is not supported: only "gelu" (exact)"#),
      ({ $0.hiddenDropoutProb = 0.1 }, "hidden_dropout_prob 0.1 is not supported: only 0"),
      ({ $0.numAttentionHeads = 5 }, "num_attention_heads 5 is not supported: must divide hidden_size 768"),
      ({ $0.patchSize = 15 }, "patch_size 15 is not supported: must divide image_size 224"),
    ] {
      var c = OANetConfig()
      change(&c.vit)
      XCTAssertEqual(
        errorMessage { try OANet(config: c, initialization: .uninitialized) }, "OA-Net config: ViT " + message)
    }
    XCTAssertEqual(
      errorMessage { try DomainDiscriminator(config: OANetConfig(numDomains: 0)) },
      "OA-Net config: num_domains 0 is not supported: need > 0")
  }
}
