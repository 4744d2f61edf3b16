/// Reads the Orientation tag from a JPEG's first APP1 "Exif" segment: JPEG segments up to
/// the first scan, then the TIFF structure inside (either byte order), IFD0 only. Anything
/// malformed means "no orientation", as Pillow treats unreadable EXIF: the pixels still decode.
enum ExifReader {
  static func orientation(jpeg bytes: UnsafeRawBufferPointer) -> ExifOrientation? {
    guard let tiff = exifPayload(bytes) else { return nil }
    return orientation(tiff: tiff)
  }

  /// The TIFF bytes of the first APP1 segment that starts with "Exif\0\0".
  private static func exifPayload(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
    guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
    var pos = 2
    while pos + 1 < bytes.count {
      guard bytes[pos] == 0xFF else { return nil }
      let marker = bytes[pos + 1]
      pos += 2
      switch marker {
      case 0xFF: pos -= 1  // fill byte before a marker
      case 0x01, 0xD0...0xD7: continue  // markers without a length
      case 0xD9, 0xDA: return nil  // end of image or start of scan: EXIF comes before
      default:
        guard pos + 2 <= bytes.count else { return nil }
        let length = Int(bytes[pos]) << 8 | Int(bytes[pos + 1])
        guard length >= 2, pos + length <= bytes.count else { return nil }
        let body = UnsafeRawBufferPointer(rebasing: bytes[(pos + 2)..<(pos + length)])
        if marker == 0xE1, body.starts(with: Array("Exif\0\0".utf8)) {
          return UnsafeRawBufferPointer(rebasing: body[(body.startIndex + 6)...])
        }
        pos += length
      }
    }
    return nil
  }

  private static func orientation(tiff: UnsafeRawBufferPointer) -> ExifOrientation? {
    guard tiff.count >= 8 else { return nil }
    let bigEndian: Bool
    switch (tiff[0], tiff[1]) {
    case (0x49, 0x49): bigEndian = false  // "II"
    case (0x4D, 0x4D): bigEndian = true  // "MM"
    default: return nil
    }
    func u16(_ at: Int) -> Int? {
      guard at >= 0, at + 2 <= tiff.count else { return nil }
      let (a, b) = (Int(tiff[at]), Int(tiff[at + 1]))
      return bigEndian ? a << 8 | b : b << 8 | a
    }
    func u32(_ at: Int) -> Int? {
      guard let first = u16(at), let second = u16(at + 2) else { return nil }
      return bigEndian ? first << 16 | second : second << 16 | first
    }
    guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
    for i in 0..<entries {
      let entry = ifd + 2 + 12 * i
      guard let tag = u16(entry), let type = u16(entry + 2) else { return nil }
      // Orientation is one SHORT (type 3) held in the entry's value field.
      if tag == 0x0112, type == 3, let value = u16(entry + 8) {
        return ExifOrientation(rawValue: value)
      }
    }
    return nil
  }
}
