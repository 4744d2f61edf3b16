/// The `faces.json` an alignment run writes: the settings, every image's faces, and the
/// images with no face or that failed, so none is silently dropped.
public struct AlignmentReport: Codable, Sendable, Equatable {
  /// One detected face in the report.
  public struct Face: Codable, Sendable, Equatable {
    /// [x1, y1, x2, y2] in source pixels.
    public var box: [Float]
    /// ONet's face probability.
    public var score: Float
    /// Five [x, y] points in source pixels (MTCNN's order).
    public var landmarks: [[Float]]
    /// The aligned PNG relative to the output folder; nil when not written (only the largest
    /// face is, unless all faces are asked for).
    public var aligned: String?
    /// The source-to-crop similarity as a 2x3 matrix [[a, -b, tx], [b, a, ty]] (nil if not aligned).
    public var transform: [[Double]]?

    public init(_ face: DetectedFace, aligned: String?, transform: SimilarityTransform?) {
      box = face.box.corners
      score = face.score
      landmarks = face.landmarks.map { [$0.x, $0.y] }
      self.aligned = aligned
      self.transform = transform?.matrix
    }
  }

  /// One input image and its faces, largest first.
  public struct Entry: Codable, Sendable, Equatable {
    public var input: String
    public var width: Int
    public var height: Int
    public var faces: [Face]
  }

  public struct Failure: Codable, Sendable, Equatable {
    public var input: String
    public var error: String
  }

  public var detector: DetectionOptions
  /// Side of the aligned crops in pixels.
  public var size: Int
  /// The template as fractions of the crop (docs/method.md §1).
  public var template: [[Double]]
  /// Images in which at least one face was found.
  public var images: [Entry] = []
  /// Images decoded fine in which no face was found.
  public var noFace: [String] = []
  /// Images that could not be read or processed, with the reason.
  public var failed: [Failure] = []

  enum CodingKeys: String, CodingKey {
    case detector, size, template, images, failed
    case noFace = "no_face"
  }

  public init(detector: DetectionOptions, size: Int, template: FaceTemplate) {
    self.detector = detector
    self.size = size
    self.template = template.points.map { [$0.x, $0.y] }
  }
}
