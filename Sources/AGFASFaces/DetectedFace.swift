/// A point in image pixels (pixel centres at integer coordinates, x right, y down).
public struct FacePoint: Sendable, Equatable, Codable {
  public var x: Float
  public var y: Float

  public init(x: Float, y: Float) {
    self.x = x
    self.y = y
  }
}

/// A face box: corners (x1, y1) top-left and (x2, y2) bottom-right, in image pixels. May
/// extend past the image.
public struct FaceBox: Sendable, Equatable, Codable {
  public var x1: Float
  public var y1: Float
  public var x2: Float
  public var y2: Float

  public init(x1: Float, y1: Float, x2: Float, y2: Float) {
    (self.x1, self.y1, self.x2, self.y2) = (x1, y1, x2, y2)
  }

  /// (x2 - x1) * (y2 - y1) in Double: the size facenet-pytorch's MTCNN.detect sorts by.
  public var area: Double { (Double(x2) - Double(x1)) * (Double(y2) - Double(y1)) }

  /// [x1, y1, x2, y2].
  public var corners: [Float] { [x1, y1, x2, y2] }
}

/// One detected face: its box, ONet's face probability and five landmarks in MTCNN's order:
/// the eye on the image's left, the other eye, the nose tip, the mouth corner on the
/// image's left, the other mouth corner.
public struct DetectedFace: Sendable, Equatable, Codable {
  public var box: FaceBox
  public var score: Float
  public var landmarks: [FacePoint]

  public init(box: FaceBox, score: Float, landmarks: [FacePoint]) {
    self.box = box
    self.score = score
    self.landmarks = landmarks
  }
}
