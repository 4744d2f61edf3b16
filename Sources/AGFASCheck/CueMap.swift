import AGFASImage
import Foundation

/// What the anomalous cue shows a person: where and how much a face differs from its "real"
/// reconstruction, in 8-bit pixel units of the two images as written. OA-Net sees the same
/// residual standardised per face (docs/method.md §3); these are its raw magnitudes.
public struct CueStatistics: Codable, Sendable, Equatable {
  /// Mean of |face - reconstruction| over every pixel and channel.
  public var meanAbs: Double
  /// Root mean square of the residual.
  public var rms: Double
  /// 95th percentile of the per-pixel mean |residual| over channels.
  public var p95: Double
  /// Largest per-pixel mean |residual|.
  public var max: Double

  enum CodingKeys: String, CodingKey {
    case meanAbs = "mean_abs"
    case rms, p95, max
  }
}

/// The cue of one face: statistics and a colour heat map.
public struct CueMap: Sendable {
  public var statistics: CueStatistics
  /// Per pixel, the mean |residual| over channels.
  public var magnitude: [Double]
  public var width: Int
  public var height: Int

  /// The heat map's scale: 0 ... this many grey levels, clipped above, the same for every face
  /// so maps compare at a glance.
  public static let scaleMax = 64.0

  public init(face: Image, reconstruction: Image) throws {
    let a = face.rgb()
    let b = reconstruction.rgb()
    guard a.width == b.width, a.height == b.height else {
      throw ImageError.invalidImage(
        reason: "cue: face \(a.width)x\(a.height) and reconstruction \(b.width)x\(b.height) differ in size")
    }
    width = a.width
    height = a.height
    let n = width * height
    var magnitude = [Double](repeating: 0, count: n)
    var sumAbs = 0.0
    var sumSquares = 0.0
    a.pixels.withUnsafeBufferPointer { p in
      b.pixels.withUnsafeBufferPointer { q in
        for i in 0..<n {
          var m = 0.0
          for c in 0..<3 {
            let d = Double(p[i * 3 + c]) - Double(q[i * 3 + c])
            m += abs(d)
            sumSquares += d * d
          }
          sumAbs += m
          magnitude[i] = m / 3
        }
      }
    }
    let sorted = magnitude.sorted()
    let count = Double(Swift.max(n * 3, 1))
    statistics = CueStatistics(
      meanAbs: sumAbs / count, rms: (sumSquares / count).squareRoot(),
      p95: sorted.isEmpty ? 0 : sorted[Swift.min(sorted.count - 1, Int((Double(sorted.count) * 0.95).rounded(.down)))],
      max: sorted.last ?? 0)
    self.magnitude = magnitude
  }

  /// The heat map as an RGB image: `CueMap.colour` of each magnitude over 0 ... `scaleMax`.
  public func heatMap() throws -> Image {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for (i, m) in magnitude.enumerated() {
      let (r, g, b) = Self.colour(m / Self.scaleMax)
      pixels[i * 3] = r
      pixels[i * 3 + 1] = g
      pixels[i * 3 + 2] = b
    }
    return try Image(width: width, height: height, channels: 3, pixels: pixels)
  }

  /// A perceptually ordered palette from black through purple, red and orange to pale yellow
  /// (dark = like its reconstruction, bright = far from it); `t` is clipped to 0...1.
  public static func colour(_ t: Double) -> (UInt8, UInt8, UInt8) {
    let stops: [(Double, Double, Double)] = [
      (0, 0, 4), (40, 11, 84), (101, 21, 110), (159, 42, 99), (212, 72, 66), (245, 125, 21), (250, 193, 39),
      (252, 255, 164),
    ]
    let x = Swift.min(Swift.max(t.isNaN ? 0 : t, 0), 1) * Double(stops.count - 1)
    let i = Swift.min(Int(x), stops.count - 2)
    let f = x - Double(i)
    func mix(_ a: Double, _ b: Double) -> UInt8 { UInt8((a + (b - a) * f).rounded()) }
    return (mix(stops[i].0, stops[i + 1].0), mix(stops[i].1, stops[i + 1].1), mix(stops[i].2, stops[i + 1].2))
  }
}
