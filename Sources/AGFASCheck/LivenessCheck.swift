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

    /// Writes `aligned.png`, `reconstruction.png` and `cue.png` (the heat map) into `folder`,
    /// made if missing, each atomically; returns their paths by name.
    @discardableResult
    public func writeImages(into folder: String) throws -> [String: String] {
      try FileSystemError.createFolder(folder)
      var paths: [String: String] = [:]
      for (name, image) in [("aligned", aligned), ("reconstruction", reconstruction), ("cue", try cue.heatMap())] {
        let path = folder + "/\(name).png"
        try image.writePNG(to: path)
        paths[name] = path
      }
      return paths
    }
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

  /// A face found and aligned, before the DFG.
  public struct FoundFace: Sendable {
    public var index: Int
    public var detection: DetectedFace
    public var aligned: Image
  }

  /// Every face of `photo`, in MTCNN's order; none when it finds no face.
  public func check(_ photo: Image, progress: (Event) throws -> Void = { _ in }) throws -> [Face] {
    let found = try faces(in: photo)
    try progress(.detected(faces: found.count))
    return try found.map { face in
      let reconstruction = try reconstruct([face.aligned]) {
        try progress(.reconstructing(face: face.index, step: $0, of: $1))
      }[0]
      return try finish(face, reconstruction: reconstruction)
    }
  }

  /// Stage 1: MTCNN's faces of `photo`, each aligned onto the template.
  public func faces(in photo: Image) throws -> [FoundFace] {
    try detector.detect(photo).enumerated().map { k, detection in
      FoundFace(
        index: k, detection: detection,
        aligned: try FaceAlignment.align(photo, landmarks: detection.landmarks, size: options.size).image)
    }
  }

  /// Stage 2: the DFG's reconstructions of aligned faces, in one batch (of any photos: each
  /// face draws its noise from its own seed, so the batch does not change a result beyond
  /// float rounding). `progress(step, of)` may throw to stop between UNet steps.
  public func reconstruct(_ aligned: [Image], progress: (Int, Int) throws -> Void = { _, _ in }) throws -> [Image] {
    guard !aligned.isEmpty else { return [] }
    let decoded = try dfg.reconstruct(
      try Image.tensor(batch: aligned), seeds: Array(repeating: options.seed, count: aligned.count),
      options: options.reconstruction, progress: progress)
    return try Image.images(fromBatch: decoded)
  }

  /// Stage 3: the anomalous cue and, with a trained OA-Net, P(live).
  public func finish(_ face: FoundFace, reconstruction: Image) throws -> Face {
    Face(
      index: face.index, detection: face.detection, aligned: face.aligned, reconstruction: reconstruction,
      cue: try CueMap(face: face.aligned, reconstruction: reconstruction),
      prediction: try oanet?.predict(face: face.aligned, reconstruction: reconstruction))
  }
}
