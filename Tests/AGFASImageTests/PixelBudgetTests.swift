import AGFASImage
import Foundation
import XCTest

/// Issue 12: an image over 4096x4096 pixels must come from a file large enough for it (at most
/// 64 pixels per byte by default), so a small PNG of a flat 8000x8000 image, which would cost
/// gigabytes to align, is refused from its header; real photos (0.5 to 5 pixels per byte) are
/// not concerned.
final class PixelBudgetTests: XCTestCase {
  /// A flat grey PNG of `width` x `height`: deflate squeezes it to about 1000 pixels per byte.
  static func flatPNG(_ width: Int, _ height: Int) throws -> [UInt8] {
    try PNG.encode(
      try Image(width: width, height: height, channels: 1, pixels: [UInt8](repeating: 128, count: width * height)))
  }

  /// `png` with a private ancillary chunk of `extra` zero bytes inserted after IHDR: decoders
  /// skip it, but the file grows (as a photo with the same dimensions would be large).
  static func padded(_ png: [UInt8], by extra: Int) -> [UInt8] {
    let ihdrEnd = 8 + 8 + 13 + 4  // signature, IHDR length and type, IHDR data, CRC
    let type = Array("agFp".utf8)  // ancillary (a), private (g), safe to copy (p)
    let data = [UInt8](repeating: 0, count: extra)
    let length = withUnsafeBytes(of: UInt32(extra).bigEndian, Array.init)
    let crc = withUnsafeBytes(of: crc32(type + data).bigEndian, Array.init)
    return Array(png[..<ihdrEnd]) + length + type + data + crc + Array(png[ihdrEnd...])
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var table = [UInt32](repeating: 0, count: 256)
    for n in 0..<256 {
      var c = UInt32(n)
      for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
      table[n] = c
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
  }

  func testDefaults() {
    let limits = ImageLimits()
    XCTAssertEqual(limits.maxPixels, 64_000_000)
    XCTAssertEqual(limits.freePixels, 4096 * 4096)
    XCTAssertEqual(limits.maxPixelsPerByte, 64)
  }

  /// The 8000x8000 flat PNG is refused, naming the file, its size in pixels and bytes, the rule
  /// and the option; raising the ratio (or turning it off) lets it decode, and so does a file
  /// large enough for its pixels.
  func testFlat8000x8000PNGIsRefusedUnlessTheRatioIsRaisedOrTheFileIsLarge() throws {
    let scratch = try ScratchDir()
    let png = try Self.flatPNG(8000, 8000)
    XCTAssertLessThan(png.count, 1_000_000)  // 64e6 pixels need 1e6 bytes at 64 pixels per byte
    let path = try scratch.write(png, "flat8000.png")
    let ratio = String(format: "%.0f", 64e6 / Double(png.count))
    assertImageError(
      .tooLargeForData, path, "8000x8000", "64000000 pixels", "only \(png.count) bytes", "\(ratio) pixels per byte",
      "above 16777216 pixels at most 64 pixels per byte", "--max-pixels-per-byte"
    ) {
      _ = try Image(contentsOfFile: path)
    }
    assertImageError(.tooLargeForData, "<memory>", "8000x8000") { _ = try Image(decoding: png) }

    let raised = ImageLimits(maxPixelsPerByte: 100_000)
    XCTAssertEqual(try Image(contentsOfFile: path, limits: raised).width, 8000)
    let off = try Image(contentsOfFile: path, limits: ImageLimits(maxPixelsPerByte: 0))
    XCTAssertEqual([off.width, off.height, off.channels], [8000, 8000, 1])
    XCTAssertEqual(off.pixels[8000 * 8000 - 1], 128)

    // Large enough: exactly 64 pixels per byte decodes, one byte less is refused (a chunk costs
    // 12 bytes beside its data).
    let largePath = try scratch.write(Self.padded(png, by: 1_000_000 - png.count - 12), "large8000.png")
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: largePath)).count, 1_000_000)
    XCTAssertEqual(try Image(contentsOfFile: largePath).height, 8000)
    let short = try scratch.write(Self.padded(png, by: 1_000_000 - png.count - 13), "short8000.png")
    assertImageError(.tooLargeForData, short, "only 999999 bytes") { _ = try Image(contentsOfFile: short) }
    // maxPixels still applies over the ratio.
    assertImageError(.tooLarge, largePath, "limit of 63999999 pixels") {
      _ = try Image(contentsOfFile: largePath, limits: ImageLimits(maxPixels: 63_999_999))
    }
  }

  /// Up to 4096x4096 the file size is not looked at: a flat one decodes; one row more is refused.
  func testFlat4096x4096PNGIsAcceptedAndOneRowMoreIsNot() throws {
    let scratch = try ScratchDir()
    let path = try scratch.write(try Self.flatPNG(4096, 4096), "flat4096.png")
    let image = try Image(contentsOfFile: path)
    XCTAssertEqual([image.width, image.height], [4096, 4096])
    let taller = try scratch.write(try Self.flatPNG(4096, 4097), "flat4097.png")
    assertImageError(.tooLargeForData, taller, "4096x4097") { _ = try Image(contentsOfFile: taller) }
  }

  /// JPEG goes through the same check: a small JPEG whose header claims 5000x5000 is refused
  /// before anything is decoded.
  func testJPEGHeadersAreCheckedAgainstTheFileSize() throws {
    var jpeg = try ImageFixtures.bytes("jpeg/grey.jpg")
    let sof = try XCTUnwrap((0..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
    for offset in [sof + 5, sof + 7] {  // height, width: big-endian 16-bit
      jpeg[offset] = UInt8(5000 >> 8)
      jpeg[offset + 1] = UInt8(5000 & 0xFF)
    }
    assertImageError(.tooLargeForData, "bomb.jpg", "5000x5000", "--max-pixels-per-byte") {
      _ = try JPEG.decode(jpeg, source: "bomb.jpg")
    }
    // With the rule off, libjpeg decodes what data there is and leaves the rest grey: this
    // 648-byte file then costs 25 MB.
    XCTAssertEqual(try JPEG.decode(jpeg, source: "bomb.jpg", limits: ImageLimits(maxPixelsPerByte: 0)).width, 5000)
  }
}
