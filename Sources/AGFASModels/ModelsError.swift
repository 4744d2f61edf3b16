import Foundation

/// What can go wrong while fetching or finding models, each said in one line that names the
/// file and what to do. Nothing half-written is left in place when one is thrown.
public enum ModelsError: Error, CustomStringConvertible, Equatable {
  /// A bad manifest (the built-in one or `--manifest`).
  case manifest(String)
  /// A request the user can correct (unknown set, missing confirmation, ...).
  case usage(String)
  /// The server said no (401/403/404/other status) for a URL.
  case http(String)
  /// The server could not be reached, or the transfer broke off.
  case network(String)
  /// A downloaded or cached file is not what its hash says; it was removed.
  case integrity(String)
  /// Writing failed (disk full, permissions).
  case storage(String)
  /// `HF_HUB_OFFLINE` is set and the cache lacks a file.
  case offline(String)
  /// Required models are not in the models folder.
  case missing(String)

  public var description: String {
    switch self {
    case .manifest(let m), .usage(let m), .http(let m), .network(let m), .integrity(let m), .storage(let m),
      .offline(let m), .missing(let m):
      m
    }
  }
}

/// A short, readable reason for a Foundation or POSIX error (not its debug dump).
func describe(_ error: Error) -> String {
  if let error = error as? ModelsError { return error.description }
  if let error = error as? DecodingError {
    switch error {
    case .dataCorrupted(let c): return c.debugDescription
    case .keyNotFound(let key, let c): return "missing '\(key.stringValue)' at \(path(c))"
    case .typeMismatch(_, let c), .valueNotFound(_, let c): return "\(c.debugDescription) at \(path(c))"
    @unknown default: return "\(error)"
    }
  }
  let ns = error as NSError
  if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
    return String(cString: strerror(Int32(posix.code)))
  }
  return ns.localizedDescription
}

private func path(_ c: DecodingError.Context) -> String {
  c.codingPath.isEmpty
    ? "the top level"
    : c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
      .joined(separator: ".")
}
