import AGFASImage

/// Where the five landmarks go in an aligned crop, as fractions of its width and height.
public struct FaceTemplate: Sendable, Equatable {
  /// (x, y) fractions in MTCNN's landmark order (see `DetectedFace.landmarks`).
  public var points: [(x: Double, y: Double)]

  public init(points: [(x: Double, y: Double)]) { self.points = points }

  public static func == (l: FaceTemplate, r: FaceTemplate) -> Bool {
    l.points.map { [$0.x, $0.y] } == r.points.map { [$0.x, $0.y] }
  }

  /// AG-FAS's template (docs/method.md §1).
  public static let agfas = FaceTemplate(points: [
    (0.3489, 0.2848), (0.6614, 0.2848), (0.4996, 0.4963), (0.3784, 0.7222), (0.6215, 0.7217),
  ])

  /// The template in pixels of a size x size crop: fraction x size (pixel centres at integers).
  public func pixels(size: Int) -> [(x: Double, y: Double)] {
    points.map { (x: $0.x * Double(size), y: $0.y * Double(size)) }
  }
}

/// A face warped onto the template, and the image-to-crop transform that did it.
public struct AlignedFace: Sendable, Equatable {
  public let image: Image
  /// Maps source-image pixels to crop pixels.
  public let transform: SimilarityTransform
}

/// Similarity alignment of faces onto a landmark template (docs/method.md §1).
public enum FaceAlignment {
  /// Fits the least-squares similarity from the face's landmarks to `template` scaled to
  /// `size` x `size`, and warps the image (RGB; grey replicated, alpha dropped) with it.
  public static func align(
    _ image: Image, landmarks: [FacePoint], size: Int = 256, template: FaceTemplate = .agfas
  ) throws -> AlignedFace {
    guard size >= 1, size <= 8192 else { throw FacesError.option("crop size \(size) must be in 1...8192") }
    guard landmarks.count == template.points.count else {
      throw FacesError.input("\(landmarks.count) landmarks for a template of \(template.points.count) points")
    }
    let transform = try SimilarityTransform.estimate(
      from: landmarks.map { (Double($0.x), Double($0.y)) }, to: template.pixels(size: size))
    return AlignedFace(image: try warp(image, transform, width: size, height: size), transform: transform)
  }

  /// `image` resampled through `transform` (source -> output pixels) into a width x height
  /// RGB image: each output pixel centre is mapped back into the source and bilinearly
  /// interpolated in Double, rounded half to even. Border: constant 0, per neighbour (a
  /// neighbour outside the source counts as black), as OpenCV's warpAffine with its default
  /// BORDER_CONSTANT and scikit-image's warp(mode="constant", cval=0) do.
  public static func warp(_ image: Image, _ transform: SimilarityTransform, width: Int, height: Int) throws -> Image {
    guard let inverse = transform.inverse else { throw FacesError.input("degenerate (zero-scale) transform") }
    let rgb = image.rgb()
    let (w, h) = (rgb.width, rgb.height)
    var out = [UInt8](repeating: 0, count: width * height * 3)
    rgb.pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for v in 0..<height {
          for u in 0..<width {
            let (x, y) = inverse.apply(Double(u), Double(v))
            guard x > -1, y > -1, x < Double(w), y < Double(h) else { continue }
            let (x0, y0) = (Int(x.rounded(.down)), Int(y.rounded(.down)))
            let (fx, fy) = (x - Double(x0), y - Double(y0))
            for c in 0..<3 {
              func at(_ px: Int, _ py: Int) -> Double {
                px < 0 || py < 0 || px >= w || py >= h ? 0 : Double(src[(py * w + px) * 3 + c])
              }
              let top = (1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)
              let bottom = (1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1)
              let value = (1 - fy) * top + fy * bottom
              dst[(v * width + u) * 3 + c] = UInt8(Swift.min(Swift.max(value, 0), 255).rounded(.toNearestOrEven))
            }
          }
        }
      }
    }
    return try Image(width: width, height: height, channels: 3, pixels: out)
  }
}
