import Foundation

extension Image {
  /// Reads and decodes the PNG or JPEG file at `path` (format from its magic bytes, not its
  /// extension). JPEGs are turned upright by their EXIF orientation.
  public init(contentsOfFile path: String, limits: ImageLimits = ImageLimits()) throws {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
      throw ImageError.fileNotFound(path: path)
    }
    guard !isFolder.boolValue else { throw ImageError.unreadable(path: path, reason: "it is a folder") }
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw ImageError.unreadable(path: path, reason: error.localizedDescription)
    }
    self = try data.withUnsafeBytes { try Image.decode($0, source: path, limits: limits) }
  }

  /// Decodes PNG or JPEG bytes, sniffing the format; `source` names them in errors.
  public init(decoding bytes: [UInt8], source: String = "<memory>", limits: ImageLimits = ImageLimits()) throws {
    self = try bytes.withUnsafeBytes { try Image.decode($0, source: source, limits: limits) }
  }

  static func decode(_ bytes: UnsafeRawBufferPointer, source: String, limits: ImageLimits) throws -> Image {
    switch ImageFormat.sniff(bytes) {
    case .png: return try PNG.decode(bytes, source: source, limits: limits)
    case .jpeg: return try JPEG.decode(bytes, source: source, limits: limits)
    case nil:
      throw ImageError.unsupportedFormat(source: source, detected: ImageFormat.describeUnsupported(bytes))
    }
  }
}
