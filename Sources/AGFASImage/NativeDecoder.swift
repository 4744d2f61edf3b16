import CImageShims

/// Interleaved 8-bit samples as a C decoder wrote them, before any Swift-side conversion.
struct DecodedPixels {
  let width: Int
  let height: Int
  /// As the decoder wrote them: 1, 3 or 4 (RGBA for PNG, inverted CMYK for JPEG).
  let channels: Int
  let samples: [UInt8]
  let header: agfas_image_header
}

/// One of CImageShims' two-step decoders: read the header, check the limits (pixels, and
/// pixels per byte of the encoded data), then allocate the pixels and decode. Nothing
/// image-sized is allocated before the limit check.
struct NativeDecoder {
  typealias Open = (
    UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<OpaquePointer?>?, UnsafeMutablePointer<agfas_image_header>?,
    UnsafeMutablePointer<CChar>?, Int
  ) -> Int32
  typealias Read = (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<CChar>?, Int) -> Int32

  let format: ImageFormat
  let open: Open
  let read: Read
  let close: (OpaquePointer?) -> Void

  static let png = NativeDecoder(format: .png, open: agfas_png_open, read: agfas_png_read, close: agfas_png_close)
  static let jpeg = NativeDecoder(
    format: .jpeg, open: agfas_jpeg_open, read: agfas_jpeg_read, close: agfas_jpeg_close)

  func decode(_ bytes: UnsafeRawBufferPointer, source: String, limits: ImageLimits) throws -> DecodedPixels {
    let data = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
    var message = [CChar](repeating: 0, count: 256)
    var reader: OpaquePointer?
    var header = agfas_image_header()
    guard open(data, bytes.count, &reader, &header, &message, message.count) == 0, let reader else {
      throw corrupt(source, message)
    }
    defer { close(reader) }
    let width = Int(header.width)
    let height = Int(header.height)
    let channels = Int(header.channels)
    try limits.check(width: width, height: height, byteCount: bytes.count, source: source)
    let count = try Image.sampleCount(width: width, height: height, channels: channels)
    let samples = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      guard read(reader, buffer.baseAddress, &message, message.count) == 0 else { throw corrupt(source, message) }
      initialized = count
    }
    return DecodedPixels(width: width, height: height, channels: channels, samples: samples, header: header)
  }

  private func corrupt(_ source: String, _ message: [CChar]) -> ImageError {
    .corrupt(source: source, format: format.rawValue, reason: cMessage(message))
  }
}

/// The NUL-terminated message a C shim wrote into `buffer`.
func cMessage(_ buffer: [CChar]) -> String {
  String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
