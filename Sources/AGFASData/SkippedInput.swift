import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An input a command passed over, and why, so nothing is dropped without being listed.
public struct SkippedInput: Equatable, Sendable, CustomStringConvertible {
  /// The path as shown to the user (bytes that are not UTF-8 as `\xNN`).
  public var path: String
  public var reason: String

  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  public var description: String { "skipped \(path): \(reason)" }
}

/// Folder entries Foundation cannot name.
///
/// `FileManager` lists names as `String`s; a name whose bytes are not valid UTF-8 comes back
/// altered (or not at all) and no longer opens, so walkers skipped such files silently. This
/// reads the raw names with `readdir` to find them.
public enum RawDirectory {
  /// The entries of `folder` whose names are not valid UTF-8, shown with `\xNN` escapes,
  /// sorted; empty when the folder cannot be opened (the caller's listing reports that).
  public static func undecodableNames(in folder: String) -> [String] {
    guard let dir = opendir(folder) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
      guard String(bytes: bytes, encoding: .utf8) == nil else { continue }
      names.append(escaped(bytes))
    }
    return names.sorted()
  }

  /// ASCII and valid UTF-8 runs as they are; every other byte as `\xNN`.
  public static func escaped(_ bytes: [UInt8]) -> String {
    var out = ""
    var i = 0
    while i < bytes.count {
      // Take the longest valid UTF-8 prefix of 1-4 bytes at i.
      var taken = false
      for length in 1...4 where i + length <= bytes.count {
        if let s = String(bytes: bytes[i..<(i + length)], encoding: .utf8), s.unicodeScalars.count == 1 {
          out += s.unicodeScalars.first!.value < 0x20 ? String(format: "\\x%02X", bytes[i]) : s
          i += length
          taken = true
          break
        }
      }
      if !taken {
        out += String(format: "\\x%02X", bytes[i])
        i += 1
      }
    }
    return out
  }
}

/// Command-line arguments Foundation cannot name.
///
/// Swift decodes `argv` into `String`s, replacing bytes that are not valid UTF-8 with U+FFFD,
/// so a photo named `caf\xE9.jpg` on the command line reaches a command as `caf\u{FFFD}.jpg`,
/// a name no file has: it would be reported as missing. This finds such arguments so they are
/// listed as skipped with the true reason, shown with `\xNN` escapes.
public enum RawArguments {
  /// `argument` as its original bytes escaped (`caf\xE9.jpg`) when it is a command-line
  /// argument whose bytes are not valid UTF-8; nil otherwise.
  public static func undecodable(_ argument: String, arguments: [[UInt8]] = commandLine()) -> String? {
    guard argument.unicodeScalars.contains("\u{FFFD}") else { return nil }
    for raw in arguments where String(validating: raw, as: UTF8.self) == nil {
      if String(decoding: raw, as: UTF8.self) == argument { return RawDirectory.escaped(raw) }
    }
    return nil
  }

  /// This process's arguments as the bytes it was given.
  public static func commandLine() -> [[UInt8]] {
    (0..<Int(CommandLine.argc)).compactMap { i in
      CommandLine.unsafeArgv[i].map { arg in
        Array(UnsafeBufferPointer(start: UnsafeRawPointer(arg).assumingMemoryBound(to: UInt8.self), count: strlen(arg)))
      }
    }
  }
}
