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
    // Reading a FIFO would wait for a writer and a device may never end: only regular files.
    if let kind = Self.specialFileKind(path) {
      throw ImageError.unreadable(path: path, reason: "it is \(kind), not a regular file")
    }
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw ImageError.unreadable(path: path, reason: error.localizedDescription)
    }
    self = try data.withUnsafeBytes { try Image.decode($0, source: path, limits: limits) }
  }

  /// What `path` is when it is neither a regular file nor a folder (after symlinks), or nil.
  static func specialFileKind(_ path: String) -> String? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    switch info.st_mode & S_IFMT {
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFCHR, S_IFBLK: return "a device"
    case S_IFSOCK: return "a socket"
    default: return nil
    }
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
