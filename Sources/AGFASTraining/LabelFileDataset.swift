import AGFASEvaluation
import Foundation

/// Frames listed by the reference's JSON label files (docs/method.md §7, as `agfas labels` writes them
/// under `<labels>/<domain>/`): sources train on `choose_real_label.json` +
/// `choose_fake_label.json` (one frame a video), the target validates on
/// `choose_all_label.json` (two frames a video). A `photo_path` is relative to the data root
/// or starts with it; its reconstruction is the same relative path under the
/// reconstructions root.
public enum LabelFileDataset {
  public static let sourceLists = ["choose_real_label.json", "choose_fake_label.json"]
  public static let targetLists = ["choose_all_label.json"]

  /// The frames of `lists` in `<labels>/<domain>/`, in file order.
  public static func frames(
    labels: String, lists: [String], data: String, reconstructions: String, domain: String, index: Int
  ) throws -> [TrainingFrame] {
    let root = data.hasSuffix("/") ? String(data.dropLast()) : data
    var out: [TrainingFrame] = []
    for list in lists {
      let file = "\(labels)/\(domain)/\(list)"
      for entry in try LabelFile.read(file) {
        let relative: String
        if entry.path.hasPrefix(root + "/") {
          relative = String(entry.path.dropFirst(root.count + 1))
        } else if !entry.path.hasPrefix("/") {
          relative = entry.path
        } else {
          throw TrainingError.data("\(file): \(entry.path) is not under the data root \(root)")
        }
        out.append(
          TrainingFrame(
            image: "\(root)/\(relative)", reconstruction: "\(reconstructions)/\(relative)", label: entry.label,
            domain: index, video: "\(domain)/\(entry.video)"))
      }
    }
    guard !out.isEmpty else { throw TrainingError.data("\(labels)/\(domain): the lists \(lists) are empty") }
    return out
  }
}
