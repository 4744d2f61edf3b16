import Foundation

/// One video as the label files see it: a folder of `<index>.png` frames.
public struct VideoFolder: Equatable, Sendable {
  /// The folder's path relative to the dataset root, `/`-separated.
  public var path: String
  /// Frame file names (`<index>.png`) in numeric order of the index.
  public var frames: [String]

  /// The path's folder names, root first.
  public var components: [String] { path.split(separator: "/").map(String.init) }

  /// Finds every video folder under `root`: folders holding PNG files (hidden entries are
  /// skipped). Leaf folders without PNGs and PNGs not named `<digits>.png` are errors, so a
  /// half-extracted tree is caught rather than silently under-labelled. Sorted by path
  /// (Unicode code points, as Python sorts strings). Frames are matched by extension without
  /// regard to case (`7.PNG` counts, as `align` reads it).
  public static func scan(root: String) throws -> [VideoFolder] {
    var skipped: [SkippedInput] = []
    return try scan(root: root, skipped: &skipped)
  }

  /// `scan(root:)`, listing in `skipped` every entry it passes over: names that are not valid
  /// UTF-8 (Foundation cannot open them).
  public static func scan(root: String, skipped: inout [SkippedInput]) throws -> [VideoFolder] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw DataError.notAFolder(path: root)
    }
    var videos: [VideoFolder] = []
    try walk(root: root, relative: "", into: &videos, skipped: &skipped)
    guard !videos.isEmpty else { throw DataError.noVideos(root: root) }
    return videos.sorted { $0.path.unicodeScalars.lexicographicallyPrecedes($1.path.unicodeScalars) }
  }

  private static func walk(
    root: String, relative: String, into videos: inout [VideoFolder], skipped: inout [SkippedInput]
  ) throws {
    let folder = relative.isEmpty ? root : root + "/" + relative
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }
    } catch {
      throw DataError.io(path: folder, reason: "cannot list folder (\(error.localizedDescription))")
    }
    for name in RawDirectory.undecodableNames(in: folder) where !name.hasPrefix(".") {
      skipped.append(SkippedInput(path: folder + "/" + name, reason: "file name is not valid UTF-8; rename it"))
    }
    var frames: [(number: UInt64, name: String)] = []
    var subfolders: [String] = []
    for name in names {
      let child = relative.isEmpty ? name : relative + "/" + name
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: root + "/" + child, isDirectory: &isDirectory) else { continue }
      if isDirectory.boolValue {
        subfolders.append(child)
      } else if name.lowercased().hasSuffix(".png") {
        frames.append((try frameNumber(name, path: child), name))
      }
    }
    if !frames.isEmpty {
      guard !relative.isEmpty else { throw DataError.framesInRoot(root: root) }
      frames.sort { $0.number < $1.number }
      for (a, b) in zip(frames, frames.dropFirst()) where a.number == b.number {
        throw DataError.badFrameName(
          path: relative + "/" + b.name, reason: "frame number \(b.number) also named \(a.name)")
      }
      videos.append(VideoFolder(path: relative, frames: frames.map(\.name)))
    } else if subfolders.isEmpty && !relative.isEmpty {
      throw DataError.noFrames(path: relative)
    }
    for subfolder in subfolders { try walk(root: root, relative: subfolder, into: &videos, skipped: &skipped) }
  }

  /// The index of `<digits>.png`.
  private static func frameNumber(_ name: String, path: String) throws -> UInt64 {
    let stem = name.dropLast(4)
    guard !stem.isEmpty, stem.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
      throw DataError.badFrameName(path: path, reason: "frame name is not <index>.png with a decimal index")
    }
    guard let number = UInt64(stem) else {
      throw DataError.badFrameName(path: path, reason: "frame index is too large")
    }
    return number
  }
}
