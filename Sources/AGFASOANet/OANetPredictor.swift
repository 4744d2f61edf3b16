import AGFASCheckpoint
import AGFASEngine
import AGFASImage
import AGFASJSON
import Foundation

/// One face's verdict: P(live) and the label it gives at `threshold`.
public struct OANetPrediction: Codable, Sendable, Equatable {
  /// softmax(logits)[live], in [0, 1].
  public let pLive: Float
  /// "live" when `pLive >= threshold`, else "spoof".
  public let label: String
  public let threshold: Float

  enum CodingKeys: String, CodingKey {
    case pLive = "p_live"
    case label, threshold
  }

  public init(pLive: Float, threshold: Float) {
    self.pLive = pLive
    self.label = pLive >= threshold ? "live" : "spoof"
    self.threshold = threshold
  }
}

/// A trained OA-Net ready to score faces against their DFG reconstructions (docs/method.md §3, §4): the
/// one entry point the CLI and a service share, so both read images and decide alike.
public struct OANetPredictor: Sendable {
  public let model: OANet
  /// P(live) at or above this is "live".
  public let threshold: Float

  /// Wraps a loaded model (eval mode: BatchNorm running statistics, no gradients).
  public init(model: OANet, threshold: Float = 0.5) throws {
    guard threshold.isFinite else { throw OANetError.input("threshold \(threshold) is not a finite number") }
    self.model = model
    self.threshold = threshold
  }

  /// Loads a checkpoint saved by AGFAS or by the reference PyTorch code (see
  /// `OANet(path:config:)`). `configPath`: an `oanet_config.json` for sizes the weights do
  /// not show (the head count of a ViT whose width is not a multiple of 64). `precision`
  /// bf16 computes in bf16 (weights converted once): about 1.8x faster, P(live) within ~1e-2.
  public init(checkpoint: String, configPath: String? = nil, threshold: Float = 0.5, precision: DType = .float32)
    throws
  {
    guard FileManager.default.fileExists(atPath: checkpoint) else {
      throw OANetError.checkpoint("\(checkpoint): no such file")
    }
    let config = try configPath.map(Self.readConfig)
    let model = try OANet(path: checkpoint, config: config)
    model.store.convert(to: precision)
    try self.init(model: model, threshold: threshold)
  }

  /// Reads an OA-Net config JSON file; missing keys take the reference's values. A key
  /// written twice or a value of the wrong type is an error naming the file and the key.
  public static func readConfig(_ path: String) throws -> OANetConfig {
    let data: Data
    do { data = try SmallFile.contents(of: path) } catch {
      throw OANetError.config("\(error)")
    }
    do {
      return try StrictJSON.decode(OANetConfig.self, from: data)
    } catch {
      throw OANetError.config("\(path): not an OA-Net config: \(error)")
    }
  }

  /// Scores a face and its reconstruction, two RGB images of one size.
  public func predict(face: Image, reconstruction: Image) throws -> OANetPrediction {
    guard face.width == reconstruction.width, face.height == reconstruction.height else {
      throw OANetError.input(
        "the face is \(face.width)x\(face.height) but its reconstruction \(reconstruction.width)x\(reconstruction.height): they must be the same size"
      )
    }
    let scores = try model.scores(image: face.tensor(), reconstruction: reconstruction.tensor())
    return OANetPrediction(pLive: scores.converted(to: .float32).toArray()[0], threshold: threshold)
  }

  /// Scores a face file and its reconstruction file (PNG or JPEG).
  public func predict(faceFile: String, reconstructionFile: String) throws -> OANetPrediction {
    try predict(face: Image(contentsOfFile: faceFile), reconstruction: Image(contentsOfFile: reconstructionFile))
  }
}
