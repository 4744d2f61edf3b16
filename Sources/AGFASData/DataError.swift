import Foundation

/// Why label files could not be made from a dataset tree. Each message names the offending
/// path (relative to the dataset root where the tree is at fault) and what was expected.
public enum DataError: Error, Equatable, LocalizedError, CustomStringConvertible {
  /// The root is missing or not a folder.
  case notAFolder(path: String)
  /// A folder could not be listed or a file written.
  case io(path: String, reason: String)
  /// No video folder (a folder holding `<index>.png` frames) anywhere under the root.
  case noVideos(root: String)
  /// PNG frames directly in the root, where one folder per video was expected.
  case framesInRoot(root: String)
  /// A leaf folder with no PNG frames: an unextracted video, or the wrong root.
  case noFrames(path: String)
  /// A PNG whose name is not `<digits>.png`, or two names with the same number (`7.png`, `007.png`).
  case badFrameName(path: String, reason: String)
  /// A video folder that does not sit where the named dataset's layout puts it.
  case layout(dataset: String, path: String, reason: String)
  /// The named dataset's tree holds no live or no spoof videos (after exclusions).
  case missingClass(dataset: String, root: String, kind: String)
  /// A caller's argument that is not valid (an unknown dataset name).
  case invalidArgument(String)

  public var description: String {
    switch self {
    case .notAFolder(let path):
      return "\(path): not a folder"
    case .io(let path, let reason):
      return "\(path): \(reason)"
    case .noVideos(let root):
      return "\(root): no video folders (folders of <index>.png frames) found"
    case .framesInRoot(let root):
      return "\(root): PNG frames directly in the root; expected one folder of frames per video"
    case .noFrames(let path):
      return "\(path): folder has no PNG frames and no subfolders (expected <index>.png frames of one video)"
    case .badFrameName(let path, let reason):
      return "\(path): \(reason)"
    case .layout(let dataset, let path, let reason):
      return "\(path): not a \(dataset) layout: \(reason)"
    case .missingClass(let dataset, let root, let kind):
      return "\(root): no \(kind) videos found for \(dataset); is this the right --dataset and --root?"
    case .invalidArgument(let message):
      return message
    }
  }

  public var errorDescription: String? { description }
}
