import AGFASImage
import XCTest

/// PNG decode against Pillow's decodings, and encode/decode round trips.
final class PNGTests: XCTestCase {
  /// Every colour type and bit depth (palette with and without tRNS, 1/2/4/8/16-bit grey,
  /// grey+alpha, RGB, RGBA, 16-bit RGB/RGBA/LA, Adam7, a gAMA chunk) decodes to exactly the
  /// samples Pillow decodes, in AGFAS's layout.
  func testEveryPNGLayoutDecodesExactlyAsPillow() throws {
    let cases = try ImageFixtures.cases("png")
    XCTAssertGreaterThanOrEqual(cases.count, 18)
    for c in cases {
      let image = try Image(contentsOfFile: ImageFixtures.path(c.file))
      assertSamples(image, width: c.width, height: c.height, channels: c.channels, c.pixels, c.name)
    }
  }

  /// `rgb()` equals Pillow's `convert("RGB")`: grey replicated, alpha dropped (not composited).
  func testRGBConversionEqualsPillowConvertRGB() throws {
    for c in try ImageFixtures.cases("png") {
      guard let rgb = c.rgb else { continue }
      let image = try PNG.decode(try ImageFixtures.bytes(c.file)).rgb()
      assertSamples(image, width: c.width, height: c.height, channels: 3, rgb, "\(c.name) rgb")
    }
  }

  /// Grey, RGB and RGBA images (odd sizes, every sample value) survive encode then decode, and
  /// the encoder writes the matching PNG colour type.
  func testEncodeDecodeRoundTripsEachChannelLayout() throws {
    var generator = SystemRandomNumberGenerator()
    for (channels, colourType) in [(1, 0), (3, 2), (4, 6)] as [(Int, UInt8)] {
      for (width, height) in [(1, 1), (7, 3), (31, 17)] {
        let count = width * height * channels
        let pixels = (0..<count).map { i in i < 256 ? UInt8(i) : UInt8.random(in: 0...255, using: &generator) }
        let image = try Image(width: width, height: height, channels: channels, pixels: pixels)
        let png = try image.pngData()
        XCTAssertEqual(ImageFormat.sniff(png), .png)
        XCTAssertEqual(png[25], colourType, "IHDR colour type for \(channels) channels")
        XCTAssertEqual(try PNG.decode(png), image, "\(width)x\(height)x\(channels)")
        XCTAssertEqual(try Image(decoding: png), image)
      }
    }
  }

  /// A decoded Pillow file re-encoded by AGFAS decodes to the same pixels.
  func testReencodedPillowFileKeepsItsPixels() throws {
    for name in ["png/rgba.png", "png/interlaced_rgba.png", "png/grey.png", "png/palette.png"] {
      let image = try Image(contentsOfFile: ImageFixtures.path(name))
      XCTAssertEqual(try PNG.decode(try PNG.encode(image)), image, name)
    }
  }
}
