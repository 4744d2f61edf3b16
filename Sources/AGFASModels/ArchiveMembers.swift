import Foundation
import ZIPFoundation

/// Takes files out of a zip (a wheel, the authors' checkpoint folder) into a new folder that
/// replaces `place` only once every file is out and checked, so an interrupted or failed
/// extraction leaves the old state.
struct ArchiveMembers {
  var archive: String
  var label: String

  struct Member {
    /// The entry's path inside the zip.
    var entry: String
    /// The file name it gets in the folder.
    var name: String
    var sha256: String?
  }

  /// Every file entry's path.
  func paths() throws -> [String] {
    try open().compactMap { $0.type == .file ? $0.path : nil }
  }

  func extract(_ members: [Member], into place: String) throws {
    let zip = try open()
    let fm = FileManager.default
    let parent = (place as NSString).deletingLastPathComponent
    let staging = place + ".partial-\(uniqueSuffix())"
    try? fm.removeItem(atPath: staging)
    do {
      try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
      for member in members {
        guard let entry = zip[member.entry] else {
          throw ModelsError.integrity("\(label) has no \(member.entry)")
        }
        let target = staging + "/" + member.name
        guard fm.createFile(atPath: target, contents: nil), let handle = FileHandle(forWritingAtPath: target) else {
          throw ModelsError.storage("cannot write \(target)")
        }
        var hasher = try ContentDigest.sha256("").hasher(size: nil)
        do {
          // ZIPFoundation checks each entry's CRC-32 as it inflates.
          _ = try zip.extract(entry, skipCRC32: false) { data in
            try handle.write(contentsOf: data)
            data.withUnsafeBytes { hasher.update($0) }
          }
          try handle.close()
        } catch let error as ModelsError { throw error } catch {
          throw ModelsError.integrity("\(label): cannot unpack \(member.entry) (\(describe(error)))")
        }
        let hex = hasher.finalize()
        if let expected = member.sha256, expected != hex {
          throw ModelsError.integrity("\(label): \(member.entry) has SHA-256 \(hex), expected \(expected)")
        }
      }
      try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
      try replaceFolder(place, with: staging)
    } catch {
      try? fm.removeItem(atPath: staging)
      if let error = error as? ModelsError { throw error }
      throw ModelsError.storage("cannot unpack \(label) into \(place): \(describe(error))")
    }
  }

  private func open() throws -> Archive {
    do { return try Archive(url: URL(fileURLWithPath: archive), accessMode: .read) } catch {
      throw ModelsError.integrity("\(label) is not a readable zip (\(describe(error)))")
    }
  }
}

/// Puts the folder `staging` at `place`, moving an old one aside first and removing it after.
func replaceFolder(_ place: String, with staging: String) throws {
  let fm = FileManager.default
  let old = place + ".old-\(uniqueSuffix())"
  var moved = false
  if (try? fm.attributesOfItem(atPath: place)) != nil {
    guard rename(place, old) == 0 else {
      throw ModelsError.storage("cannot replace \(place): \(String(cString: strerror(errno)))")
    }
    moved = true
  }
  guard rename(staging, place) == 0 else {
    let reason = String(cString: strerror(errno))
    if moved { rename(old, place) }
    throw ModelsError.storage("cannot move the new \(place) into place: \(reason)")
  }
  if moved { try? fm.removeItem(atPath: old) }
}
