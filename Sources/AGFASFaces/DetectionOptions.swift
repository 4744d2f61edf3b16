/// MTCNN's tunables, with facenet-pytorch's defaults.
public struct DetectionOptions: Sendable, Equatable, Codable {
  /// Smallest face side, in pixels, the image pyramid looks for (the first scale maps it to
  /// PNet's 12-pixel window). Smaller finds smaller faces and costs more.
  public var minFaceSize: Double
  /// Probability thresholds of PNet (kept if >=), RNet and ONet (kept if >).
  public var thresholds: [Float]
  /// Ratio between successive pyramid scales.
  public var scaleFactor: Double

  enum CodingKeys: String, CodingKey {
    case minFaceSize = "min_face_size"
    case thresholds
    case scaleFactor = "scale_factor"
  }

  public init(minFaceSize: Double = 20, thresholds: [Float] = [0.6, 0.7, 0.7], scaleFactor: Double = 0.709) {
    self.minFaceSize = minFaceSize
    self.thresholds = thresholds
    self.scaleFactor = scaleFactor
  }

  /// Throws naming the offending option and value.
  public func validate() throws {
    guard minFaceSize.isFinite, minFaceSize >= 1 else {
      throw FacesError.option("min face size \(minFaceSize) must be at least 1 pixel")
    }
    guard thresholds.count == 3, thresholds.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
      throw FacesError.option("thresholds \(thresholds) must be 3 probabilities (PNet, RNet, ONet) in [0, 1]")
    }
    guard scaleFactor > 0.05, scaleFactor < 1 else {
      throw FacesError.option("scale factor \(scaleFactor) must be in (0.05, 1)")
    }
  }

  /// The pyramid's scales for an image whose shorter side is `shortSide`: the first maps
  /// `minFaceSize` to 12 pixels, each next one is `scaleFactor` times smaller, down to the
  /// last that keeps the shorter side at >= 12 pixels. Computed in Double, as facenet-pytorch
  /// does in Python floats.
  public func pyramidScales(shortSide: Int) -> [Double] {
    var scale = 12.0 / minFaceSize
    var side = Double(shortSide) * scale
    var scales: [Double] = []
    while side >= 12 {
      scales.append(scale)
      scale *= scaleFactor
      side *= scaleFactor
    }
    return scales
  }
}
