import Foundation

/// A Foundation file-system failure said as a sentence naming the path and the cause.
///
/// Foundation's errors print as `Error Domain=NSCocoaErrorDomain Code=516 "(null)"
/// UserInfo={NSFilePath=..., NSUnderlyingError=...}`; this maps them once, for every command
/// that creates output folders or files.
public struct FileSystemError: Error, CustomStringConvertible, Equatable {
  public let path: String
  /// What failed: "create the folder", "write".
  public let action: String
  public let cause: String

  public init(path: String, action: String, cause: String) {
    self.path = path
    self.action = action
    self.cause = cause
  }

  public var description: String { "cannot \(action) \(path): \(cause)" }

  /// Maps a Foundation (`NSCocoaErrorDomain` or POSIX) error; other errors are returned as
  /// they are, since they already describe themselves.
  public static func mapping(_ error: Error, path fallback: String? = nil, action: String = "write") -> Error {
    let ns = error as NSError
    guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return error }
    let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path ?? fallback
    return FileSystemError(path: path ?? "(unknown path)", action: action, cause: cause(of: ns))
  }

  /// Creates `path` and its parents; a file in the way, a missing permission, ... is a
  /// `FileSystemError` naming the folder.
  public static func createFolder(_ path: String) throws {
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      var isFolder: ObjCBool = false
      // Foundation names the deepest path it tried; say which existing file blocks the folder.
      var blocker = path
      while !blocker.isEmpty, blocker != "/" {
        if FileManager.default.fileExists(atPath: blocker, isDirectory: &isFolder), !isFolder.boolValue {
          throw FileSystemError(
            path: path, action: "create the folder", cause: "\(blocker) exists and is a file, not a folder")
        }
        blocker = (blocker as NSString).deletingLastPathComponent
      }
      throw mapping(error, path: path, action: "create the folder")
    }
  }

  private static func cause(of ns: NSError) -> String {
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
      return String(cString: strerror(Int32(underlying.code))).lowercased()
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))).lowercased() }
    switch ns.code {
    case NSFileWriteFileExistsError: return "a file with that name already exists"
    case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
    case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or folder"
    case NSFileWriteOutOfSpaceError: return "no space left on the device"
    case NSFileWriteVolumeReadOnlyError: return "the file system is read-only"
    case NSFileWriteInvalidFileNameError, NSFileReadInvalidFileNameError: return "the name is not valid"
    default: return ns.localizedFailureReason ?? ns.localizedDescription
    }
  }
}
