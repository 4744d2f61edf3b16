import AGFASImage
import XCTest

/// JPEG decode against Pillow, and EXIF orientation against `ImageOps.exif_transpose`.
///
/// Tolerance: Debian's libjpeg-turbo 2.1.5 and the one in Pillow's wheel (3.x) may round the
/// inverse DCT, chroma upsampling or colour conversion differently in rare cases; both use the
/// ISLOW IDCT and fancy upsampling, so samples may differ by at most 1.
final class JPEGTests: XCTestCase {
  static let tolerance = 1

  /// Grey, 4:4:4 and 4:2:0 YCbCr (odd size), progressive, and CMYK (Adobe-inverted, converted
  /// with Pillow's CMYK->RGB formula) decode as Pillow decodes them.
  func testJPEGsDecodeAsPillow() throws {
    let cases = try ImageFixtures.cases("jpeg").filter { !$0.name.hasPrefix("orientation") }
    XCTAssertEqual(cases.map(\.name), ["cmyk", "grey", "progressive", "rgb420", "rgb444"])
    for c in cases {
      let image = try Image(contentsOfFile: ImageFixtures.path(c.file))
      assertSamples(
        image, width: c.width, height: c.height, channels: c.channels, c.pixels, tolerance: Self.tolerance, c.name)
    }
  }

  /// Each of the 8 EXIF orientations (big-endian EXIF from Pillow, one little-endian written by
  /// hand) is turned upright exactly as Pillow's exif_transpose does; the pattern has no
  /// symmetry, so a wrong flip or rotation moves whole blocks and fails far beyond tolerance.
  func testEXIFOrientationsMatchPillowExifTranspose() throws {
    let cases = try ImageFixtures.cases("jpeg").filter { $0.name.hasPrefix("orientation") }
    XCTAssertEqual(cases.count, 9)
    for c in cases {
      let image = try JPEG.decode(try ImageFixtures.bytes(c.file), source: c.file)
      assertSamples(
        image, width: c.width, height: c.height, channels: 3, c.pixels, tolerance: Self.tolerance, c.name)
    }
  }

  /// With `orient: false` the stored (sideways) pixels come back as stored.
  func testOrientationCanBeIgnored() throws {
    let stored = try JPEG.decode(try ImageFixtures.bytes("jpeg/orientation1.jpg"))
    let sideways = try JPEG.decode(try ImageFixtures.bytes("jpeg/orientation6.jpg"), orient: false)
    XCTAssertEqual(sideways, stored)
    XCTAssertEqual(try JPEG.decode(try ImageFixtures.bytes("jpeg/orientation6.jpg")).width, 16)
  }

  /// The 8 transforms on a 3x2 image whose pixels are their own indices, written out by hand.
  func testOrientationTransformsMoveEachPixelWhereExpected() throws {
    // Stored:   0 1 2
    //           3 4 5
    let image = try Image(width: 3, height: 2, channels: 1, pixels: [0, 1, 2, 3, 4, 5])
    let expected: [ExifOrientation: (Int, [UInt8])] = [
      .up: (3, [0, 1, 2, 3, 4, 5]),
      .flipLeftRight: (3, [2, 1, 0, 5, 4, 3]),
      .rotate180: (3, [5, 4, 3, 2, 1, 0]),
      .flipTopBottom: (3, [3, 4, 5, 0, 1, 2]),
      .transpose: (2, [0, 3, 1, 4, 2, 5]),
      .rotateClockwise: (2, [3, 0, 4, 1, 5, 2]),
      .transverse: (2, [5, 2, 4, 1, 3, 0]),
      .rotateCounterClockwise: (2, [2, 5, 1, 4, 0, 3]),
    ]
    for orientation in ExifOrientation.allCases {
      let (width, pixels) = expected[orientation]!
      let turned = orientation.apply(to: image)
      XCTAssertEqual(turned.width, width, "\(orientation)")
      XCTAssertEqual(turned.pixels, pixels, "\(orientation)")
    }
  }
}
