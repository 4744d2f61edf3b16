import AGFASImage
import XCTest

/// Bad files and bad calls give typed errors whose messages say what and where.
final class ImageErrorTests: XCTestCase {
  func testMissingFileAndFolderAreNamed() throws {
    assertImageError(.fileNotFound, "not found", "/nonexistent/face.png") {
      _ = try Image(contentsOfFile: "/nonexistent/face.png")
    }
    let scratch = try ScratchDir()
    assertImageError(.unreadable, "cannot read", scratch.url.path, "folder") {
      _ = try Image(contentsOfFile: scratch.url.path)
    }
  }

  /// A FIFO would block the read until a writer came, a device might never end: both are
  /// refused by what they are, before they are opened.
  func testFIFOsAndDevicesAreRefusedWithoutOpeningThem() throws {
    let scratch = try ScratchDir()
    let fifo = scratch.url.appendingPathComponent("face.png").path
    XCTAssertEqual(mkfifo(fifo, 0o644), 0)
    assertImageError(.unreadable, "cannot read", fifo, "a FIFO (named pipe), not a regular file") {
      _ = try Image(contentsOfFile: fifo)
    }
    assertImageError(.unreadable, "cannot read", "/dev/zero", "a device, not a regular file") {
      _ = try Image(contentsOfFile: "/dev/zero")
    }
  }

  /// The format comes from the magic bytes: a PNG named .jpg decodes, a GIF named .png is
  /// refused as GIF, unknown bytes are shown in hex.
  func testFormatIsSniffedFromBytesNotExtension() throws {
    let scratch = try ScratchDir()
    let png = try ImageFixtures.bytes("png/rgb.png")
    XCTAssertEqual(try Image(contentsOfFile: try scratch.write(png, "misnamed.jpg")).channels, 3)
    let unsupported: [([UInt8], String)] = [
      (Array("GIF89a".utf8) + [1, 0, 1, 0], "looks like GIF"),
      ([0, 0, 0, 0x1C] + Array("ftypheic".utf8), "looks like HEIF/AVIF"),
      (Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8 ".utf8), "looks like WebP"),
      ([], "empty file"),
      ([0xDE, 0xAD, 0xBE, 0xEF, 1], "first bytes DE AD BE EF 01"),
    ]
    for (bytes, detected) in unsupported {
      let path = try scratch.write(bytes, "photo.png")
      assertImageError(.unsupportedFormat, path, detected, "PNG and JPEG") {
        _ = try Image(contentsOfFile: path)
      }
    }
  }

  /// PNG and JPEG files cut short (in the header or in the pixel data, baseline and
  /// progressive) are refused as corrupt, naming the file and the format. So are a JPEG missing
  /// only its 2-byte EOI marker (as in Pillow) and a PNG whose last IDAT lacks its CRC (Pillow
  /// is laxer there: it stops reading once it has the rows).
  func testTruncatedFilesAreCorrupt() throws {
    let scratch = try ScratchDir()
    for (name, format, trailer) in [
      ("png/rgb.png", "PNG", 12), ("png/interlaced_rgba.png", "PNG", 12), ("jpeg/rgb444.jpg", "JPEG", 0),
      ("jpeg/progressive.jpg", "JPEG", 0),
    ] {
      let bytes = try ImageFixtures.bytes(name)
      for keep in [20, bytes.count / 2, bytes.count - trailer - 2] {
        let path = try scratch.write(Array(bytes.prefix(keep)), "cut.bin")
        assertImageError(.corrupt, path, "corrupt or truncated \(format)") {
          _ = try Image(contentsOfFile: path)
        }
      }
    }
  }

  /// A PNG missing only its IEND chunk decodes, as in Pillow: the pixels are all there.
  func testPNGWithoutEndChunkDecodes() throws {
    let bytes = try ImageFixtures.bytes("png/rgb.png")
    XCTAssertEqual(Array(bytes.suffix(8).prefix(4)), Array("IEND".utf8))
    XCTAssertEqual(try PNG.decode(Array(bytes.dropLast(12))), try PNG.decode(bytes))
  }

  /// Damaged data: a PNG header whose checksum no longer matches, a JPEG declaring 12-bit
  /// samples; the decoders' own messages are passed on.
  func testDamagedFilesAreCorruptWithTheDecodersReason() throws {
    var png = try ImageFixtures.bytes("png/rgb.png")
    png[19] ^= 0x01  // IHDR width, covered by the chunk's CRC
    assertImageError(.corrupt, "<memory>", "PNG", "CRC") {
      _ = try Image(decoding: png)
    }
    var jpeg = try ImageFixtures.bytes("jpeg/grey.jpg")
    let sof = try XCTUnwrap((0..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
    jpeg[sof + 4] = 12  // sample precision
    assertImageError(.corrupt, "face.jpg", "JPEG", "precision 12") {
      _ = try JPEG.decode(jpeg, source: "face.jpg")
    }
  }

  /// The pixel limit is configurable and checked from the header: an image one pixel over is
  /// refused with its size and the limit in the message; at the limit it decodes.
  func testPixelLimitIsConfigurable() throws {
    for (name, width, height) in [("png/rgb.png", 23, 17), ("jpeg/rgb420.jpg", 37, 23)] {
      let path = ImageFixtures.path(name)
      let pixels = width * height
      XCTAssertEqual(try Image(contentsOfFile: path, limits: ImageLimits(maxPixels: pixels)).height, height)
      assertImageError(
        .tooLarge, path, "\(width)x\(height)", "\(pixels) pixels", "limit of \(pixels - 1) pixels", "--max-pixels"
      ) {
        _ = try Image(contentsOfFile: path, limits: ImageLimits(maxPixels: pixels - 1))
      }
    }
  }

  /// Decompression bombs: tiny files whose headers declare 100000x100000 (PNG) and 65000x65000
  /// (JPEG) pixels are refused as too large under the default 64-megapixel limit. They hold no
  /// pixel data, so any attempt to decode would have failed as corrupt instead.
  func testHugeHeadersAreRefusedBeforeAllocating() throws {
    XCTAssertEqual(ImageLimits().maxPixels, 64_000_000)
    for (name, side) in [("huge.png", 100_000), ("huge.jpg", 65_000)] {
      let path = ImageFixtures.path(name)
      assertImageError(.tooLarge, path, "\(side)x\(side)", "limit of 64000000") {
        _ = try Image(contentsOfFile: path)
      }
    }
  }

  func testInvalidImagesAreRefused() throws {
    assertImageError(.invalidImage, "5 samples", "2x2x1") {
      _ = try Image(width: 2, height: 2, channels: 1, pixels: [1, 2, 3, 4, 5])
    }
    assertImageError(.invalidImage, "2 channels") { _ = try Image(width: 2, height: 2, channels: 2) }
    assertImageError(.invalidImage, "out of range") { _ = try Image(width: -1, height: 2, channels: 3) }
    assertImageError(.invalidImage, "0x0") { _ = try PNG.encode(try Image(width: 0, height: 0, channels: 3)) }
  }
}
