import Foundation

/// A 2-D similarity: x' = a x - b y + tx, y' = b x + a y + ty (rotation, uniform scale
/// s = sqrt(a² + b²), translation; never a reflection). In Double.
public struct SimilarityTransform: Sendable, Equatable, Codable {
  public var a: Double
  public var b: Double
  public var tx: Double
  public var ty: Double

  public init(a: Double, b: Double, tx: Double, ty: Double) {
    (self.a, self.b, self.tx, self.ty) = (a, b, tx, ty)
  }

  /// The similarity with this scale, rotation (radians, counter-clockwise in x-right/y-up
  /// terms; clockwise on screen where y points down) and translation.
  public init(scale: Double, rotation: Double, tx: Double, ty: Double) {
    self.init(a: scale * cos(rotation), b: scale * sin(rotation), tx: tx, ty: ty)
  }

  public var scale: Double { (a * a + b * b).squareRoot() }
  public var rotation: Double { atan2(b, a) }

  /// The 2x3 matrix [[a, -b, tx], [b, a, ty]] (OpenCV's warpAffine convention).
  public var matrix: [[Double]] { [[a, -b, tx], [b, a, ty]] }

  public func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
    (a * x - b * y + tx, b * x + a * y + ty)
  }

  /// The inverse map; nil for a degenerate (zero-scale) transform.
  public var inverse: SimilarityTransform? {
    let d = a * a + b * b
    guard d > 0, d.isFinite else { return nil }
    let (ia, ib) = (a / d, -b / d)
    return SimilarityTransform(a: ia, b: ib, tx: -(ia * tx - ib * ty), ty: -(ib * tx + ia * ty))
  }

  /// The least-squares similarity mapping `source[i]` onto `target[i]` (Umeyama 1991 without
  /// reflection). In 2-D Umeyama's SVD solution has a closed form: with both point sets
  /// centred, a = Σ(p·q)/Σ|p|², b = Σ(p×q)/Σ|p|²; the translation maps the source centroid
  /// onto the target one. Throws for fewer than 2 points, mismatched counts, non-finite
  /// coordinates or coincident source points.
  public static func estimate(from source: [(x: Double, y: Double)], to target: [(x: Double, y: Double)]) throws
    -> SimilarityTransform
  {
    guard source.count == target.count, source.count >= 2 else {
      throw FacesError.input("a similarity needs >= 2 point pairs, got \(source.count) and \(target.count) points")
    }
    guard (source + target).allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else {
      throw FacesError.input("landmarks contain a non-finite coordinate")
    }
    let n = Double(source.count)
    let (sx, sy) = (source.map(\.x).reduce(0, +) / n, source.map(\.y).reduce(0, +) / n)
    let (dx, dy) = (target.map(\.x).reduce(0, +) / n, target.map(\.y).reduce(0, +) / n)
    var (dot, cross, norm) = (0.0, 0.0, 0.0)
    for (p, q) in zip(source, target) {
      let (px, py, qx, qy) = (p.x - sx, p.y - sy, q.x - dx, q.y - dy)
      dot += px * qx + py * qy
      cross += px * qy - py * qx
      norm += px * px + py * py
    }
    guard norm > 0 else { throw FacesError.input("the landmarks coincide: no similarity fits them") }
    let (a, b) = (dot / norm, cross / norm)
    return SimilarityTransform(a: a, b: b, tx: dx - (a * sx - b * sy), ty: dy - (b * sx + a * sy))
  }
}
