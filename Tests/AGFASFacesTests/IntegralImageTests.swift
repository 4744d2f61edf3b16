import AGFASEngine
import AGFASImage
import XCTest

@testable import AGFASFaces

/// The summed-area resize gives exactly the engine's `resizedArea` (proven against torch's
/// `area` mode) followed by MTCNN's normalisation, for pyramid shrinks and crop stretches.
final class IntegralImageTests: XCTestCase {
  func testWindowSumsEqualTorchAreaResizeBitForBit() throws {
    var rng = SystemRandomNumberGenerator()
    let (w, h) = (53, 37)
    let image = try Image(
      width: w, height: h, channels: 3, pixels: (0..<(w * h * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) })
    let sums = IntegralImage(image)
    // Whole image down (pyramid), a region down, a small region up (crop smaller than 24x24).
    let cases: [(Range<Int>, Range<Int>, Int, Int)] = [
      (0..<w, 0..<h, 20, 27), (5..<50, 3..<30, 24, 24), (40..<51, 30..<37, 24, 24), (0..<w, 0..<h, 37, 53),
    ]
    for (x, y, oh, ow) in cases {
      let ours = sums.resampledNormalized(x: x, y: y, height: oh, width: ow).toArray()
      let region = image.pixelTensor(x: x, y: y)
      let expected = try ((region.resizedArea(height: oh, width: ow) - 127.5) * 0.0078125).toArray()
      XCTAssertEqual(ours, expected, "region \(x) x \(y) -> \(oh)x\(ow)")
    }
  }
}
