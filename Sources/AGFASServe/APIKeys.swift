import Crypto
import Foundation

/// The clients a service lets in. Only SHA-256 hashes of the keys are stored (a leaked keys
/// file does not let anyone in): one `sha256:<64 hex> [name]` per line, `#` comments.
/// `agfas serve --new-key` makes a key and its line.
public struct APIKeys: Sendable {
  /// Client name by key hash (hex). The name is what logs and per-client limits use.
  let clients: [String: String]

  public var count: Int { clients.count }

  /// Parses the lines of a keys file (or of `AGFAS_API_KEYS`, where commas may separate them).
  public init(text: String, source: String) throws {
    var clients: [String: String] = [:]
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "," })
    for (n, raw) in lines.enumerated() {
      let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
        .trimmingCharacters(in: .whitespaces)
      if line.isEmpty { continue }
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      let hash = fields[0].lowercased()
      guard hash.hasPrefix("sha256:"), hash.count == 71,
        hash.dropFirst(7).allSatisfy({ $0.isHexDigit })
      else {
        throw ServeError.configuration(
          "\(source) line \(n + 1): expected `sha256:<64 hex digits> [name]` (a hash, not a key: "
            + "`agfas serve --new-key` prints both)")
      }
      let hex = String(hash.dropFirst(7))
      clients[hex] = fields.count > 1 ? fields[1...].joined(separator: " ") : String(hex.prefix(12))
    }
    guard !clients.isEmpty else { throw ServeError.configuration("\(source) lists no key") }
    self.clients = clients
  }

  /// Reads a keys file.
  public init(file: String) throws {
    guard let data = FileManager.default.contents(atPath: file) else {
      throw ServeError.configuration("cannot read the API keys file \(file)")
    }
    try self.init(text: String(decoding: data, as: UTF8.self), source: file)
  }

  /// The client name of a presented key, or nil.
  public func client(forKey key: String) -> String? {
    clients[Self.hash(key)]
  }

  static func hash(_ key: String) -> String {
    SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
  }

  /// A new random key and the line that lets it in.
  public static func newKey(name: String?) -> (key: String, line: String) {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let key =
      "agfas_"
      + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
      .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    return (key, "sha256:\(hash(key))" + (name.map { " \($0)" } ?? ""))
  }
}
