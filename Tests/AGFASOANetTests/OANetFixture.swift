import AGFASCheckpoint
import AGFASEngine
import AGFASNN
import AGFASOANet
import AGFASTestSupport
import Foundation
import XCTest

/// The tiny OA-Net of scripts/make_oanet_fixtures.py: its config, state dicts and recordings.
struct OANetFixture {
  let file: SafeTensorsFile
  let config: OANetConfig

  init() throws {
    file = try Fixture("oanet").file
    struct Sizes: Decodable {
      let cue_width: Int
      let embedding: Int
      let disc_hidden: Int
      let vit: ViTConfig
    }
    let sizes = try JSONDecoder().decode(Sizes.self, from: Data(XCTUnwrap(file.metadata["config"]).utf8))
    config = OANetConfig(
      vit: sizes.vit, cueWidth: sizes.cue_width, embeddingDim: sizes.embedding, discriminatorHidden: sizes.disc_hidden)
  }

  /// The tensors stored under `<group>/`, keyed by the rest of their name.
  func group(_ name: String) throws -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for key in file.names where key.hasPrefix(name + "/") {
      out[String(key.dropFirst(name.count + 1))] = try file.tensor(key)
    }
    return out
  }

  func tensor(_ name: String) throws -> Tensor { try file.tensor(name) }

  /// The forward case's network input as PyTorch computed it: the face, then its residual.
  func forwardInput() throws -> Tensor {
    try Tensor.concat([tensor("fwd/img"), tensor("fwd/residual")], axis: 1)
  }

  /// The step's metadata (labels, domains, GRL coefficient, ...).
  func step() throws -> [String: Any] {
    let json = try XCTUnwrap(file.metadata["step"])
    return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
  }

  /// The model with the fixture's weights, loaded strictly.
  func model() throws -> OANet { try OANet(stateDict: group("state"), config: config) }

  /// The discriminator with the fixture's weights.
  func discriminator() throws -> DomainDiscriminator {
    let d = try DomainDiscriminator(config: config, initialization: .uninitialized)
    try d.store.load(group("disc"))
    return d
  }

  /// A file beside the fixtures (`vit_tiny`, `resnet_tiny.pth`, key lists).
  static func path(_ name: String) -> String {
    URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
  }

  /// A key list written by the script: key -> shape.
  static func keyList(_ name: String) throws -> [String: [Int]] {
    try JSONDecoder().decode([String: [Int]].self, from: Data(contentsOf: URL(fileURLWithPath: path(name))))
  }
}
