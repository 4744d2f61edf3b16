import AGFASDFG
import AGFASEngine
import AGFASFaces
import AGFASImage
import AGFASOANet
import Foundation

/// The whole AG-FAS check of a photo (docs/method.md): MTCNN finds each face and its five
/// landmarks, the face is aligned onto the template, the DFG re-draws it as a live face, the
/// anomalous cue is their difference, and OA-Net scores the pair when a trained one is given.
/// Each stage works on what the previous one would have written as an 8-bit PNG, so a check
/// equals `agfas align`, `agfas reconstruct` and `agfas predict` run one after another.
public final class LivenessCheck: @unchecked Sendable {
  public let detector: MTCNN
  public let dfg: DFGPipeline
  public let oanet: OANetPredictor?
  public let options: Options

  public struct Options: Sendable {
    /// Side of the aligned crop (the reference's 256).
    public var size = 256
    /// Every face draws its noise from `torch.manual_seed(seed)` on its own.
    public var seed: UInt64 = 0
    public var reconstruction = DFGPipeline.Options()

    public init(size: Int = 256, seed: UInt64 = 0, reconstruction: DFGPipeline.Options = DFGPipeline.Options()) {
      self.size = size
      self.seed = seed
      self.reconstruction = reconstruction
    }
  }

  /// One face of a photo through every stage.
  public struct Face: Sendable {
    /// Its place in MTCNN's order (0 = the first MTCNN reports, as `agfas align` numbers them).
    public var index: Int
    public var detection: DetectedFace
    public var aligned: Image
    public var reconstruction: Image
    public var cue: CueMap
    /// nil without a trained OA-Net.
    public var prediction: OANetPrediction?
  }

  public enum Event: Sendable {
    case detected(faces: Int)
    case reconstructing(face: Int, step: Int, of: Int)
  }

  public init(detector: MTCNN, dfg: DFGPipeline, oanet: OANetPredictor?, options: Options = Options()) {
    self.detector = detector
    self.dfg = dfg
    self.oanet = oanet
    self.options = options
  }

  /// Every face of `photo`, in MTCNN's order; none when it finds no face.
  public func check(_ photo: Image, progress: (Event) -> Void = { _ in }) throws -> [Face] {
    let detections = try detector.detect(photo)
    progress(.detected(faces: detections.count))
    return try detections.enumerated().map { k, detection in
      let aligned = try FaceAlignment.align(photo, landmarks: detection.landmarks, size: options.size).image
      let decoded = try dfg.reconstruct(
        try Image.tensor(batch: [aligned]), seeds: [options.seed], options: options.reconstruction,
        progress: { progress(.reconstructing(face: k, step: $0, of: $1)) })
      let reconstruction = try Image.images(fromBatch: decoded)[0]
      return Face(
        index: k, detection: detection, aligned: aligned, reconstruction: reconstruction,
        cue: try CueMap(face: aligned, reconstruction: reconstruction),
        prediction: try oanet?.predict(face: aligned, reconstruction: reconstruction))
    }
  }
}
