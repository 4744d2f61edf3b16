import Crypto
import Foundation

/// What a file's bytes must hash to: its SHA-256 (from a manifest, a package index or the hub's
/// LFS ETag), the leading hex digits of it (torchvision's file names), or git's blob SHA-1 (the
/// hub's ETag of files it keeps in git rather than LFS).
enum ContentDigest: Sendable, Equatable, CustomStringConvertible {
  case sha256(String)
  case sha256Prefix(String)
  case gitBlobSHA1(String)

  /// The digest an ETag stands for: 64 hex digits are a SHA-256, 40 a git blob SHA-1.
  init?(etag: String) {
    var tag = etag.trimmingCharacters(in: .whitespaces)
    if tag.hasPrefix("W/") { tag.removeFirst(2) }
    tag = tag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    guard tag.allSatisfy(\.isHexDigit) else { return nil }
    switch tag.count {
    case 64: self = .sha256(tag.lowercased())
    case 40: self = .gitBlobSHA1(tag.lowercased())
    default: return nil
    }
  }

  var description: String {
    switch self {
    case .sha256(let h): "SHA-256 \(h)"
    case .sha256Prefix(let h): "SHA-256 starting \(h)"
    case .gitBlobSHA1(let h): "git blob SHA-1 \(h)"
    }
  }

  /// An incremental hasher for this kind of digest; git's needs the size up front.
  func hasher(size: Int64?) throws -> ContentHasher {
    switch self {
    case .sha256, .sha256Prefix: return ContentHasher(kind: .sha256(SHA256()))
    case .gitBlobSHA1:
      guard let size else { throw ModelsError.integrity("a git blob hash needs the file's size, which was not given") }
      var sha1 = Insecure.SHA1()
      sha1.update(data: Data("blob \(size)\0".utf8))
      return ContentHasher(kind: .sha1(sha1))
    }
  }

  func matches(_ hex: String) -> Bool {
    switch self {
    case .sha256(let h), .gitBlobSHA1(let h): hex == h
    case .sha256Prefix(let p): hex.hasPrefix(p.lowercased())
    }
  }
}

struct ContentHasher {
  enum Kind {
    case sha256(SHA256)
    case sha1(Insecure.SHA1)
  }
  var kind: Kind

  mutating func update(_ bytes: UnsafeRawBufferPointer) {
    switch kind {
    case .sha256(var h):
      h.update(bufferPointer: bytes)
      kind = .sha256(h)
    case .sha1(var h):
      h.update(bufferPointer: bytes)
      kind = .sha1(h)
    }
  }

  func finalize() -> String {
    switch kind {
    case .sha256(let h): h.finalize().map { String(format: "%02x", $0) }.joined()
    case .sha1(let h): h.finalize().map { String(format: "%02x", $0) }.joined()
    }
  }

  /// Hashes `count` bytes of an open file from its start (an interrupted download's part).
  mutating func update(fileDescriptor fd: Int32, count: Int64) throws {
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var left = count
    var offset: Int64 = 0
    while left > 0 {
      let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, min($0.count, Int(left)), off_t(offset)) }
      guard n > 0 else {
        throw ModelsError.storage("cannot read back a partial download (\(String(cString: strerror(errno))))")
      }
      buffer.withUnsafeBytes { update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
      left -= Int64(n)
      offset += Int64(n)
    }
  }
}

/// The SHA-256 of a whole file, as lower-case hex.
func sha256Hex(ofFile path: String) throws -> String {
  let fd = open(path, O_RDONLY)
  guard fd >= 0 else { throw ModelsError.storage("cannot open \(path): \(String(cString: strerror(errno)))") }
  defer { close(fd) }
  var st = stat()
  guard fstat(fd, &st) == 0 else { throw ModelsError.storage("cannot stat \(path)") }
  var hasher = try ContentDigest.sha256("").hasher(size: nil)
  try hasher.update(fileDescriptor: fd, count: Int64(st.st_size))
  return hasher.finalize()
}
