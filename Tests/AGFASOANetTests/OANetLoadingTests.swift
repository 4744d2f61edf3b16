import AGFASCheckpoint
import AGFASEngine
import AGFASNN
import AGFASOANet
import AGFASTestSupport
import Foundation
import XCTest

/// Weight loading (docs/method.md §4): pretrained ViT and ResNet-18 files for training, whole OA-Net
/// state dicts for prediction, and the full-size key sets.
final class OANetLoadingTests: XCTestCase {
  func testPretrainedViTFolderAndTorchvisionResNetLoadIntoTheirParts() throws {
    let vitFolder = OANetFixture.path("vit_tiny")
    let resnetPath = OANetFixture.path("resnet_tiny.pth")
    let fx = try OANetFixture()
    // The folder's config gives the ViT; the cue width must be the tiny file's.
    var config = try OANetConfig(vit: ModelFolder(path: vitFolder).config(ViTConfig.self), cueWidth: 2)
    config.embeddingDim = fx.config.embeddingDim
    XCTAssertEqual(config.vit, fx.config.vit)
    let model = try OANet(config: config)
    let fresh = model.store.stateDict()
    try model.loadPretrainedBackbone(StateDict.load(path: vitFolder))
    try model.loadPretrainedCueEncoder(StateDict.load(path: resnetPath))

    let vit = try StateDict.load(path: vitFolder)
    let resnet = try StateDict.load(path: resnetPath)
    for p in model.store.all {
      let value = p.value.toArray()
      if p.path.hasPrefix("backbone.vit."), !OANetKeys.isCrossAttention(p.path) {
        XCTAssertEqual(value, vit[String(p.path.dropFirst("backbone.vit.".count))]?.toArray(), p.path)
      } else if p.path.hasPrefix("backbone_res.") {
        XCTAssertEqual(value, resnet[String(p.path.dropFirst("backbone_res.".count))]?.toArray(), p.path)
      } else {
        // Cross-attention, layer4 and the heads keep the reference initialisation.
        XCTAssertEqual(value, fresh[p.path]?.toArray(), p.path)
      }
    }
    XCTAssertNotNil(resnet["layer4.0.conv1.weight"], "the file has a layer4, which must not be loaded")
    XCTAssertNotEqual(
      model.store["embedder_res.layer4.0.conv1.weight"]?.value.toArray(), resnet["layer4.0.conv1.weight"]?.toArray())
  }

  func testPretrainedConvenienceInitTakesItsSizesFromTheFiles() throws {
    let fx = try OANetFixture()
    let model = try OANet(
      pretrainedViT: OANetFixture.path("vit_tiny"), resnet: OANetFixture.path("resnet_tiny.pth"),
      config: OANetConfig(embeddingDim: 16))
    XCTAssertEqual(model.config.vit, fx.config.vit)
    XCTAssertEqual(model.config.cueWidth, 2)
    XCTAssertEqual(model.config.embeddingDim, 16)
    let out = try withoutGrad { try model(fx.forwardInput()) }
    XCTAssertEqual(out.scores.shape, [2])
    XCTAssertEqual(
      errorMessage { try OANet(pretrainedViT: OANetFixture.path("vit_tiny"), resnet: OANetFixture.path("vit_tiny")) },
      "OA-Net checkpoint: \(OANetFixture.path("vit_tiny")) has no 4-D conv1.weight: not a torchvision ResNet state dict"
    )
  }

  /// The reference's state dicts hold the embedder's Linear a second time
  /// (`embedder.bottleneck_layer.0.*`): equal copies load, differing ones are named; the
  /// exported state dict writes them back for PyTorch's strict loading.
  func testReferenceSecondNamesLoadAndAreExported() throws {
    let fx = try OANetFixture()
    var state = try fx.group("state")
    for name in ["weight", "bias"] {
      state["embedder.bottleneck_layer.0.\(name)"] = state["embedder.bottleneck_layer_fc.\(name)"]
    }
    let model = try OANet(stateDict: state, config: fx.config)
    let exported = model.exportedStateDict()
    XCTAssertEqual(Set(exported.keys), Set(state.keys))
    XCTAssertEqual(
      exported["embedder.bottleneck_layer.0.weight"]?.toArray(), state["embedder.bottleneck_layer_fc.weight"]?.toArray()
    )
    state["embedder.bottleneck_layer.0.bias"] = .zeros(state["embedder.bottleneck_layer_fc.bias"]!.shape)
    XCTAssertEqual(
      errorMessage { try OANet(stateDict: state, config: fx.config) },
      "OA-Net checkpoint: embedder.bottleneck_layer.0.bias differs from embedder.bottleneck_layer_fc.bias: they must be the same tensor"
    )
  }

  func testLoadingErrorsNameEveryOffendingKey() throws {
    let fx = try OANetFixture()
    var state = try fx.group("state")
    state["backbone.vit.encoder.layer.1.crossattention.dense.weight"] = nil
    state["embedder.extra.weight"] = .zeros([16, 32])
    state["classifier.classifier_layer.bias"] = .zeros([3])
    XCTAssertThrowsError(try OANet(stateDict: state, config: fx.config)) { error in
      guard let m = error as? StateDictMismatch else { return XCTFail("\(error)") }
      XCTAssertEqual(m.missing, ["backbone.vit.encoder.layer.1.crossattention.dense.weight"])
      XCTAssertEqual(m.unexpected, ["embedder.extra.weight"])
      XCTAssertEqual(m.misshaped, [.init(key: "classifier.classifier_layer.bias", expected: [2], found: [3])])
    }

    let model = try OANet(config: fx.config)
    var vit = try StateDict.load(path: OANetFixture.path("vit_tiny"))
    vit["encoder.layer.0.output.dense.bias"] = nil
    vit["encoder.layer.0.extra"] = .zeros([1])
    XCTAssertEqual(
      errorMessage { try model.loadPretrainedBackbone(vit) },
      "checkpoint does not fit the model: missing keys: backbone.vit.encoder.layer.0.output.dense.bias; "
        + "unexpected keys: backbone.vit.encoder.layer.0.extra")
    var resnet = try StateDict.load(path: OANetFixture.path("resnet_tiny.pth"))
    resnet["layer3.1.bn2.running_var"] = nil
    XCTAssertEqual(
      errorMessage { try model.loadPretrainedCueEncoder(resnet) },
      "checkpoint does not fit the model: missing keys: backbone_res.layer3.1.bn2.running_var")
    XCTAssertTrue(errorMessage { try OANet(path: "no/such/oanet.pth") }.contains("no/such/oanet.pth"))
  }

  func testDataParallelPrefixesAndTaskModelPrefixesAreStripped() throws {
    let fx = try OANetFixture()
    let state = try fx.group("state")
    let prefixed = Dictionary(uniqueKeysWithValues: state.map { ("module." + $0.key, $0.value) })
    let model = try OANet(stateDict: prefixed, config: fx.config)
    let out = try withoutGrad { try model(fx.forwardInput()) }
    assertClose(out.logits, try fx.tensor("fwd/logits"), rtol: 1e-5, atol: 1e-6, "logits")

    let vit = try StateDict.load(path: OANetFixture.path("vit_tiny"))
    var task = Dictionary(uniqueKeysWithValues: vit.map { ("vit." + $0.key, $0.value) })
    task["classifier.weight"] = .zeros([10, 32])
    try OANet(config: fx.config).loadPretrainedBackbone(task)

    var both = state
    both["module.embedder.bottleneck_layer_fc.bias"] = state["embedder.bottleneck_layer_fc.bias"]
    XCTAssertEqual(
      errorMessage { try OANet(stateDict: both, config: fx.config) },
      "OA-Net checkpoint: key embedder.bottleneck_layer_fc.bias appears both with and without the prefix module.")
  }

  func testReferenceTrainingCheckpointLoadsForPrediction() throws {
    // torch.save({"epoch", "state_dict": {"module.<key>": ...}, "best_model_EER", ...}) as SSDG saves.
    let fx = try OANetFixture()
    let model = try OANet(path: OANetFixture.path("oanet_checkpoint.pth"), config: fx.config)
    let scores = try model.scores(image: fx.tensor("fwd/img"), reconstruction: fx.tensor("fwd/rec"))
    assertClose(scores, try fx.tensor("fwd/scores"), rtol: 1e-5, atol: 1e-6, "P(live)")
    // Another model's file: every key is named, missing and unexpected.
    let wrong = errorMessage { try OANet(path: OANetFixture.path("resnet_tiny.pth"), config: fx.config) }
    XCTAssertTrue(
      wrong.hasPrefix("checkpoint does not fit the model: missing keys: backbone.vit.embeddings.cls_token"), wrong)
    XCTAssertTrue(wrong.contains("unexpected keys: bn1.bias, bn1.num_batches_tracked"), wrong)
    // A corrupt file: the reader's error names the file.
    let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("oanet-corrupt-\(getpid()).pth")
    try Data("not a checkpoint at all".utf8).write(to: corrupt)
    defer { try? FileManager.default.removeItem(at: corrupt) }
    let message = errorMessage { try OANet(path: corrupt.path, config: fx.config) }
    XCTAssertTrue(message.contains(corrupt.path) && message.contains("unknown format"), message)
  }

  func testConfigIsReadOffAStateDict() throws {
    let fx = try OANetFixture()
    let shapes = try fx.group("state").mapValues(\.shape)
    // 32 channels are not a multiple of 64 heads' worth: the head count must be given.
    XCTAssertEqual(
      errorMessage { try OANetConfig.inferred(fromShapes: shapes) },
      "OA-Net config: hidden size 32 is not a multiple of 64: give the number of heads")
    var expected = fx.config
    expected.discriminatorHidden = OANetConfig.reference.discriminatorHidden
    XCTAssertEqual(try OANetConfig.inferred(fromShapes: shapes, heads: 2), expected)
    XCTAssertEqual(
      errorMessage { try OANetConfig.inferred(fromShapes: ["conv1.weight": [64, 3, 7, 7]]) },
      "OA-Net checkpoint: no backbone.vit.embeddings.cls_token of rank 3: not an OA-Net state dict")
  }

  func testFullSizeModelHasTheReferenceKeysAndGivesOneScorePerFace() throws {
    let start = Date()
    let model = try OANet(initialization: .fast)
    let built = Dictionary(uniqueKeysWithValues: model.store.all.map { ($0.path, $0.shape) })
    XCTAssertEqual(try OANetConfig.inferred(fromShapes: built), .reference)

    // Backbone: exactly transformers' ViTModel(ViTConfig()) plus 12 x (cross-attention + its LayerNorm).
    let vit = try OANetFixture.keyList("vit_base_keys.json")
    let backbone = built.filter { $0.key.hasPrefix("backbone.vit.") && !OANetKeys.isCrossAttention($0.key) }
    XCTAssertEqual(Dictionary(uniqueKeysWithValues: backbone.map { (String($0.key.dropFirst(13)), $0.value) }), vit)
    let cross = built.filter { OANetKeys.isCrossAttention($0.key) }
    XCTAssertEqual(cross.count, 12 * 10)
    XCTAssertEqual(cross["backbone.vit.encoder.layer.11.crossattention.key.weight"], [768, 512])
    XCTAssertEqual(cross["backbone.vit.encoder.layer.0.crossattention.dense.weight"], [768, 768])
    XCTAssertEqual(cross["backbone.vit.encoder.layer.3.ln_cross_attn.bias"], [768])

    // Cue encoder: torchvision's resnet18 without its fc head.
    let resnet = try OANetFixture.keyList("resnet18_keys.json").filter { !$0.key.hasPrefix("fc.") }
    let cue = built.filter { $0.key.hasPrefix("backbone_res.") || $0.key.hasPrefix("embedder_res.") }
    XCTAssertEqual(Dictionary(uniqueKeysWithValues: cue.map { (String($0.key.dropFirst(13)), $0.value) }), resnet)
    XCTAssertEqual(built["embedder.bottleneck_layer_fc.weight"], [512, 768])
    XCTAssertEqual(built["classifier.classifier_layer.weight"], [2, 512])
    XCTAssertEqual(built.count, vit.count + cross.count + resnet.count + 4)

    let x = try Tensor((0..<(6 * 256 * 256)).map { Float(($0 * 7919) % 513) / 256 - 1 }, shape: [1, 6, 256, 256])
    let out = try withoutGrad { try model(x) }
    XCTAssertEqual(out.cueTokens.shape, [1, 64, 512])
    XCTAssertEqual(out.features.shape, [1, 768])
    XCTAssertEqual(out.embeddings.shape, [1, 512])
    XCTAssertEqual(out.scores.shape, [1])
    XCTAssertTrue(out.logits.toArray().allSatisfy(\.isFinite))
    print("full OA-Net build + 256x256 forward: \(Date().timeIntervalSince(start)) s")
  }
}
