import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension AtomicFile {
  /// Removes the temporary files that killed runs left under `folder` (recursively) and
  /// returns their paths.
  ///
  /// `write` names its temporary `.<name>.<pid>.<random>.tmp`; only files of exactly that
  /// form are touched, and only when the process that made them is gone (no such pid here)
  /// and they were last modified before `runStart`, so a concurrent writer's file is left alone.
  @discardableResult
  public static func removeLeftovers(under folder: String, before runStart: Date) -> [String] {
    let fm = FileManager.default
    guard let walker = fm.enumerator(atPath: folder) else { return [] }
    var removed: [String] = []
    while let relative = walker.nextObject() as? String {
      let name = (relative as NSString).lastPathComponent
      guard let pid = temporaryOwner(name) else { continue }
      let path = (folder as NSString).appendingPathComponent(relative)
      guard let attributes = try? fm.attributesOfItem(atPath: path),
        attributes[.type] as? FileAttributeType == .typeRegular,
        let modified = attributes[.modificationDate] as? Date, modified < runStart,
        !processExists(pid)
      else { continue }
      if (try? fm.removeItem(atPath: path)) != nil { removed.append(path) }
    }
    return removed
  }

  /// The pid in a name of `write`'s form `.<name>.<pid>.<random>.tmp`, or nil.
  static func temporaryOwner(_ name: String) -> Int32? {
    guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return nil }
    let parts = name.dropLast(4).split(separator: ".", omittingEmptySubsequences: false)
    // "", <name parts...>, pid, random
    guard parts.count >= 4, !parts[1].isEmpty, let random = UInt32(parts[parts.count - 1]),
      let pid = Int32(parts[parts.count - 2]), pid > 0, String(random) == parts[parts.count - 1]
    else { return nil }
    return pid
  }

  /// Whether a process with this id exists (EPERM: it does, owned by someone else).
  static func processExists(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0 || errno == EPERM
  }
}
