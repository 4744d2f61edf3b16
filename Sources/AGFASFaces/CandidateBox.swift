/// A face candidate between cascade stages: corners (x1, y1, x2, y2) in image pixels,
/// its probability and the offsets its network proposed.
///
/// All arithmetic is fp32, one operation at a time in the order facenet-pytorch's tensor
/// expressions evaluate, so boxes match it to the last bit before they are truncated to
/// integer crops (a 1-ulp difference there could move a crop by a pixel).
struct CandidateBox: Equatable {
  var x1: Float
  var y1: Float
  var x2: Float
  var y2: Float
  var score: Float
  /// Offsets of (x1, y1, x2, y2) as fractions of the box size.
  var offsets: (Float, Float, Float, Float) = (0, 0, 0, 0)

  static func == (a: CandidateBox, b: CandidateBox) -> Bool {
    (a.x1, a.y1, a.x2, a.y2, a.score) == (b.x1, b.y1, b.x2, b.y2, b.score)
      && a.offsets == b.offsets
  }

  /// PNet's calibration: offsets scale the width `x2 - x1` (no +1, unlike later stages).
  func regressedByWindow() -> CandidateBox { regressed(by: (x2 - x1, y2 - y1)) }

  /// RNet/ONet's calibration (MTCNN's `bbreg`): offsets scale the inclusive size `x2 - x1 + 1`.
  func regressed() -> CandidateBox { regressed(by: (x2 - x1 + 1, y2 - y1 + 1)) }

  /// The box with each side moved by its offset times `size` (width, height).
  private func regressed(by size: (Float, Float)) -> CandidateBox {
    let (w, h) = size
    var b = self
    b.x1 = x1 + offsets.0 * w
    b.y1 = y1 + offsets.1 * h
    b.x2 = x2 + offsets.2 * w
    b.y2 = y2 + offsets.3 * h
    return b
  }

  /// The square around the same centre whose side is the longer side (MTCNN's `rerec`).
  func squared() -> CandidateBox {
    let (w, h) = (x2 - x1, y2 - y1)
    let side = Swift.max(w, h)
    var b = self
    b.x1 = x1 + w * 0.5 - side * 0.5
    b.y1 = y1 + h * 0.5 - side * 0.5
    b.x2 = b.x1 + side
    b.y2 = b.y1 + side
    return b
  }

  /// The pixels the next network sees: corners truncated toward zero, read as 1-based
  /// inclusive coordinates and clipped to the image, returned 0-based half-open; nil when
  /// nothing is left. facenet-pytorch crops the clipped region (no zero padding), so
  /// border faces reach the network stretched.
  func cropRegion(width: Int, height: Int) -> (x: Range<Int>, y: Range<Int>)? {
    let left = Swift.max(Int(x1.rounded(.towardZero)), 1)
    let top = Swift.max(Int(y1.rounded(.towardZero)), 1)
    let right = Swift.min(Int(x2.rounded(.towardZero)), width)
    let bottom = Swift.min(Int(y2.rounded(.towardZero)), height)
    guard right > left - 1, bottom > top - 1 else { return nil }
    return ((left - 1)..<right, (top - 1)..<bottom)
  }
}
