import AGFASDFG
import AGFASEngine
import AGFASNN
import AGFASTestSupport
import Foundation
import XCTest

/// The identity condition (docs/method.md §2.1) against the torch iresnet of scripts/make_arcface_fixtures.py.
final class ArcFaceTests: XCTestCase {
  /// The tiny iresnet18 (base width 4) state dict, its config and the fixture file.
  func tinyCheckpoint() throws -> (fx: Fixture, state: [String: Tensor], config: IResNetConfig, tokenDim: Int) {
    let fx = try Fixture("arcface")
    var state: [String: Tensor] = [:]
    for name in fx.file.names where name.hasPrefix("state/") {
      state[String(name.dropFirst("state/".count))] = try fx.file.tensor(name)
    }
    let json = try XCTUnwrap(fx.file.metadata["config"])
    let config = try JSONDecoder().decode(IResNetConfig.self, from: Data(json.utf8))
    let tokenDim = try fx.case("config").int("token_dim")
    return (fx, state, config, tokenDim)
  }

  /// The case's input: the stored 64x64 base, nearest-upsampled as the script did.
  func input(_ c: FixtureCase, _ fx: Fixture) throws -> Tensor {
    let base = try fx.file.tensor("base")
    let factor = c.int("upsample")
    return factor > 1 ? try base.upsampledNearest(scale: factor) : base
  }

  func testTinyFeaturesAndConditionMatchPyTorchFP32() throws {
    let (fx, state, config, tokenDim) = try tinyCheckpoint()
    let model = try ArcFaceIdentity(stateDict: state, config: config, tokenDim: tokenDim)
    try forEachCase(fx, prefix: "cond") { c in
      let x = try input(c, fx)
      XCTAssertEqual(x.shape, c.ints("size"))
      let (features, condition) = try withoutGrad { (try model.features(x), try model.condition(x)) }
      assertClose(features, try c.tensor("features"), rtol: 1e-5, atol: 1e-6, "\(c.name) features")
      assertClose(condition, try c.output, rtol: 1e-5, atol: 1e-6, "\(c.name) condition")
    }
  }

  func testBackbonePthWrittenByTorchSaveLoadsAndMatches() throws {
    let (fx, _, config, tokenDim) = try tinyCheckpoint()
    let path = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
      .appendingPathComponent("Fixtures/tiny_backbone.pth").path
    let model = try ArcFaceIdentity(path: path, config: config, tokenDim: tokenDim)
    let c = try fx.case(fx.cases.first { $0.hasPrefix("cond") }!)
    let condition = try withoutGrad { try model.condition(input(c, fx)) }
    assertClose(condition, try c.output, rtol: 1e-5, atol: 1e-6, "condition from .pth")
  }

  func testTinyBF16WeightsStayCloseToPyTorchFP32() throws {
    let (fx, state, config, tokenDim) = try tinyCheckpoint()
    let model = try ArcFaceIdentity(
      stateDict: state.mapValues { $0.converted(to: .bfloat16) }, config: config, tokenDim: tokenDim)
    XCTAssertEqual(model.dtype, .bfloat16)
    let c = try fx.case("cond256")
    let condition = try withoutGrad { try model.condition(input(c, fx)) }
    XCTAssertEqual(condition.dtype, .bfloat16)
    // bf16 keeps 8 significant bits and every conv/BN output is rounded: after ~40 of them the
    // worst element is 0.023 off (features std ~1.2), so atol 0.05 (4% of the scale) + rtol 2%.
    assertClose(condition.converted(to: .float32), try c.output, rtol: 0.02, atol: 0.05, "bf16 condition")
  }

  func testConfigIsReadOffTheCheckpointKeys() throws {
    let (_, state, config, _) = try tinyCheckpoint()
    XCTAssertEqual(config, IResNetConfig(layers: [2, 2, 2, 2], baseWidth: 4))
    XCTAssertEqual(try IResNetConfig.inferred(fromShapes: state.mapValues(\.shape)), config)
    XCTAssertEqual(try IResNetConfig.inferred(fromShapes: referenceIResNet18Shapes()), .iresnet18)
    // An r50 layout (narrow, so it builds quickly) is recognised and runs.
    let r50 = IResNetConfig(layers: IResNetConfig.iresnet50.layers, baseWidth: 2)
    let model = try ArcFaceIdentity(config: r50, tokenDim: 20, initialization: .fast)
    let shapes = Dictionary(uniqueKeysWithValues: model.store.all.map { ($0.path, $0.shape) })
    XCTAssertEqual(try IResNetConfig.inferred(fromShapes: shapes), r50)
    XCTAssertNotNil(shapes["layer3.13.bn3.running_var"])
    let y = try withoutGrad { try model.condition(.zeros([1, 3, 40, 30])) }
    XCTAssertEqual(y.shape, [1, 49, 20])
  }

  func testLoadingIgnoresTheEmbeddingHeadButNamesEveryOtherBadKey() throws {
    var (_, state, config, tokenDim) = try tinyCheckpoint()
    XCTAssertNotNil(state["fc.weight"])
    XCTAssertNotNil(state["features.running_mean"])
    state["layer1.0.extra.weight"] = .zeros([1])
    state["layer2.1.bn3.running_var"] = nil
    state["bn2.weight"] = .ones([31])
    XCTAssertThrowsError(try ArcFaceIdentity(stateDict: state, config: config, tokenDim: tokenDim)) { error in
      guard let m = error as? StateDictMismatch else { return XCTFail("\(error)") }
      XCTAssertEqual(m.unexpected, ["layer1.0.extra.weight"])
      XCTAssertEqual(m.missing, ["layer2.1.bn3.running_var"])
      XCTAssertEqual(m.misshaped, [.init(key: "bn2.weight", expected: [32], found: [31])])
    }
  }

  func testFullIResNet18HasTheReferenceKeysAndGives49TokensOf768() throws {
    let start = Date()
    let model = try ArcFaceIdentity(initialization: .fast)
    let reference = try referenceIResNet18Shapes().filter { key, _ in
      !ArcFaceIdentity.ignoredKeyPrefixes.contains { key.hasPrefix($0) }
    }
    let built = Dictionary(uniqueKeysWithValues: model.store.all.map { ($0.path, $0.shape) })
    XCTAssertEqual(built, reference)
    XCTAssertEqual(built.count, 180)
    let x = try Tensor(
      (0..<(3 * 256 * 256)).map { Float(($0 * 7919) % 513) / 256 - 1 }, shape: [1, 3, 256, 256])
    let y = try withoutGrad { try model.condition(x) }
    XCTAssertEqual(y.shape, [1, 49, 768])
    let values = y.toArray()
    let padding = (0..<49).flatMap { t in values[(t * 768 + 512)..<(t * 768 + 768)] }
    XCTAssertEqual(padding.filter { $0 != 0 }.count, 0, "tokens are zero past the 512 features")
    XCTAssertTrue(values.allSatisfy(\.isFinite))
    // Measured: 0.25 s in a debug build on 2 shared cores (build + forward).
    print("full iresnet18 build + 256x256 condition: \(Date().timeIntervalSince(start)) s")
  }

  func testGradientsFlowToTheInputFace() throws {
    let model = try ArcFaceIdentity(config: IResNetConfig(layers: [1, 1, 1, 1], baseWidth: 2), tokenDim: 24)
    let x = Tensor.full(0.3, [1, 3, 48, 48]).requiringGrad()
    let y = try model.condition(x)
    try (y * y).sum().backward()
    let g = try XCTUnwrap(x.grad).toArray()
    XCTAssertTrue(g.allSatisfy(\.isFinite))
    XCTAssertGreaterThan(g.map(abs).max() ?? 0, 0)
    XCTAssertNotNil(model.store["conv1.weight"]?.value)
  }

  func testRejectsBadInputsAndConfigsWithClearMessages() throws {
    let model = try ArcFaceIdentity(config: IResNetConfig(layers: [1, 1, 1, 1], baseWidth: 2), tokenDim: 16)
    XCTAssertThrowsError(try model.condition(.zeros([1, 4, 64, 64]))) { error in
      XCTAssertEqual("\(error)", "ArcFace input: expected faces [B,3,H,W], got [1, 4, 64, 64]")
    }
    XCTAssertThrowsError(try ArcFaceIdentity(config: IResNetConfig(layers: [2, 2, 2]))) { error in
      XCTAssertEqual("\(error)", "ArcFace config: layers [2, 2, 2] is not supported: need 4 positive block counts")
    }
    XCTAssertThrowsError(try ArcFaceIdentity(config: IResNetConfig(layers: [1, 1, 1, 1], baseWidth: 2), tokenDim: 15)) {
      error in
      XCTAssertEqual("\(error)", "ArcFace config: token dim 15 is smaller than the 16 feature channels")
    }
    XCTAssertThrowsError(try ArcFaceIdentity(path: "no/backbone.pth")) { error in
      XCTAssertTrue("\(error)".contains("no/backbone.pth: cannot read"), "\(error)")
    }
    XCTAssertThrowsError(try IResNetConfig.inferred(fromShapes: ["fc.weight": [512, 25088]])) { error in
      XCTAssertTrue("\(error)".contains("conv1.weight"), "\(error)")
    }
  }

  /// Keys and shapes of insightface's full iresnet18 state dict, as the fixture script listed them.
  func referenceIResNet18Shapes() throws -> [String: [Int]] {
    let url = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
      .appendingPathComponent("Fixtures/iresnet18_keys.json")
    return try JSONDecoder().decode([String: [Int]].self, from: Data(contentsOf: url))
  }
}
