import AGFASData
import ArgumentParser
import Foundation

struct Labels: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write the reference's JSON label files for a dataset tree of frame folders (docs/method.md §7).",
    discussion: """
      ROOT holds one folder of <index>.png frames per video, laid out as the \
      dataset ships (after frame extraction and alignment):
        msu      live iff the path has real/ (spoof videos need attack/)
        casia    train_release/ or test_release/; video folders 1-8, HR_1-HR_4;
                 live: 1, 2, HR_1
        replay   train/, devel/ or test/ (or replayattack-train/ -devel/ -test/),
                 and real/ or attack/; devel left out
        oulu     Train_files/, Dev_files/ or Test_files/; videos P_S_U_F,
                 live iff F = 1; Dev_files left out
        --layout folders
                 <domain>/{live,spoof}/<video>/<index>.png; lists per domain
      Writes OUT/<dataset or domain>/:
        all_label.json, real_label.json, fake_label.json    every frame
        choose_all_label.json                                2 frames a video
        choose_real_label.json, choose_fake_label.json       1 frame a video
        train_label.json, test_label.json                    casia only
      choose_*: frame (6 + j*floor(n/k)) mod n, j < k, of the n frames in index \
      order. Entries: {"photo_path", "photo_label" (1 live, 0 spoof), \
      "photo_belong_to_video_ID" (the video's 0-based number in that file)}; \
      videos in path order, as Python's json.dump(indent=4) writes them. \
      photo_path = --path-prefix (default: --root as given) + the frame's path \
      below the root. Paths in layout errors are below the root.
      """)

  @Option(help: "msu, casia, replay or oulu.")
  var dataset: String?
  @Option(help: "folders: the generic <domain>/{live,spoof}/<video>/<index>.png tree (instead of --dataset).")
  var layout: String?
  @Option(help: "The dataset's frame tree.")
  var root: String
  @Option(help: "Folder to write the label files into (one subfolder per dataset or domain).")
  var out: String
  @Option(help: "What photo paths start with (default: --root as given; \"\" for paths relative to the root).")
  var pathPrefix: String?

  /// The layout the options name; checked in `validate()` so a mistake shows this
  /// subcommand's usage.
  var chosenLayout: DatasetLayout {
    get throws {
      switch (dataset, layout) {
      case (let name?, nil):
        guard let named = DatasetLayout(rawValue: name), named != .folders else {
          throw ValidationError("--dataset must be msu, casia, replay or oulu, not '\(name)'")
        }
        return named
      case (nil, "folders"?):
        return .folders
      case (nil, let other?):
        throw ValidationError("--layout must be folders, not '\(other)'")
      default:
        throw ValidationError("give exactly one of --dataset msu|casia|replay|oulu and --layout folders")
      }
    }
  }

  func validate() throws { _ = try chosenLayout }

  func run() throws {
    var skipped: [SkippedInput] = []
    let lists = try LabelList.make(
      layout: try chosenLayout, root: root, pathPrefix: pathPrefix ?? Self.trimmed(root), skipped: &skipped)
    for list in lists {
      try list.write(under: out)
      let videos = Set(list.entries.map(\.video)).count
      print("\(out)/\(list.relativePath): \(list.entries.count) frames of \(videos) videos")
    }
    // As align does: every skipped input listed, the rest written, a failing exit at the end.
    for s in skipped { stderr("\(s)") }
    if !skipped.isEmpty {
      stderr("\(skipped.count) file(s) skipped")
      throw ExitCode(1)
    }
  }

  /// `root` without trailing slashes (`/` stays `/`).
  static func trimmed(_ root: String) -> String {
    var path = Substring(root)
    while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
    return String(path)
  }
}
