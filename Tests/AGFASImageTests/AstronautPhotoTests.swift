import AGFASImage
import Foundation
import XCTest

/// A real photo: scikit-image's astronaut.png (512x512 RGB, fetched from the scikit-image
/// 0.22.0 wheel by scripts/fetch_test_material.sh; CI must have it).
final class AstronautPhotoTests: XCTestCase {
  /// Decodes to 512x512x3 with the same sample sum, per-channel sums and position-weighted
  /// sum as Pillow's decoding.
  func testAstronautDecodesToPillowsPixels() throws {
    let path = ImageFixtures.repoRoot.appendingPathComponent(".cache/test-material/skimage/data/astronaut.png").path
    guard FileManager.default.fileExists(atPath: path) else {
      let message = "astronaut.png absent: run scripts/fetch_test_material.sh"
      if ProcessInfo.processInfo.environment["CI"] != nil { return XCTFail(message) }
      throw XCTSkip(message)
    }
    let expected = try XCTUnwrap(ImageFixtures.json["astronaut"] as? [String: Any])
    let number = { (key: String) in (expected[key] as? NSNumber)?.intValue ?? -1 }
    let image = try Image(contentsOfFile: path)
    XCTAssertEqual([image.width, image.height, image.channels], [512, 512, 3])
    XCTAssertEqual([image.width, image.height], [number("width"), number("height")])
    var sum = 0
    var weighted = 0
    var channelSums = [0, 0, 0]
    for (i, v) in image.pixels.enumerated() {
      sum += Int(v)
      weighted += Int(v) * (i % 251 + 1)
      channelSums[i % 3] += Int(v)
    }
    XCTAssertEqual(sum, number("sum"))
    XCTAssertEqual(sum, 90_124_324)
    XCTAssertEqual(channelSums, (expected["channel_sums"] as? [NSNumber])?.map(\.intValue))
    XCTAssertEqual(weighted, number("weighted_sum"))
  }
}
