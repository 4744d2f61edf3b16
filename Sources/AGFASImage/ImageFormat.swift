/// The formats AGFAS decodes, recognised by their magic bytes, never by file extension.
public enum ImageFormat: String, Sendable, CaseIterable {
  case png = "PNG"
  case jpeg = "JPEG"

  /// The format whose signature starts `bytes`, or nil.
  public static func sniff(_ bytes: [UInt8]) -> ImageFormat? { bytes.withUnsafeBytes { sniff($0) } }

  /// The format whose signature starts `bytes`, or nil.
  public static func sniff(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
    if starts(bytes, with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
    if starts(bytes, with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
    return nil
  }

  /// A short guess at what unsupported bytes are, for error messages: a named format when a
  /// well-known signature matches, else the first bytes in hex.
  static func describeUnsupported(_ bytes: UnsafeRawBufferPointer) -> String {
    let known: [(String, [UInt8], Int)] = [
      ("looks like GIF", Array("GIF8".utf8), 0),
      ("looks like BMP", Array("BM".utf8), 0),
      ("looks like TIFF", [0x49, 0x49, 0x2A, 0x00], 0),
      ("looks like TIFF", [0x4D, 0x4D, 0x00, 0x2A], 0),
      ("looks like WebP", Array("WEBP".utf8), 8),
      ("looks like HEIF/AVIF", Array("ftyp".utf8), 4),
    ]
    for (name, magic, offset) in known
    where bytes.count >= offset + magic.count
      && starts(UnsafeRawBufferPointer(rebasing: bytes[offset...]), with: magic)
    {
      return name
    }
    if bytes.isEmpty { return "empty file" }
    let head = bytes.prefix(8).map { String($0, radix: 16, uppercase: true) }.map { $0.count == 1 ? "0" + $0 : $0 }
    return "first bytes \(head.joined(separator: " "))"
  }

  private static func starts(_ bytes: UnsafeRawBufferPointer, with magic: [UInt8]) -> Bool {
    bytes.count >= magic.count && zip(bytes, magic).allSatisfy { $0 == $1 }
  }
}
