/// The dataset layouts label files are made from: the four of docs/method.md §7, named as `--dataset`
/// takes them, and the generic `<domain>/{live,spoof}/<video>/<index>.png` tree.
public enum DatasetLayout: String, CaseIterable, Sendable {
  case msu, casia, replay, oulu, folders

  /// Where one video goes in the label files.
  public struct Placement: Equatable, Sendable {
    /// The label-file folder: the dataset's name, or the domain folder for `folders`.
    public var group: String
    /// 1 (live) or 0 (spoof).
    public var label: Int
    /// False for videos the reference leaves out of every list (Replay devel, OULU Dev_files).
    public var included: Bool
    /// `train` or `test` where the layout splits (CASIA), else nil.
    public var split: String?
  }

  /// Places `video` by the layout's rules; the rules look only at the folder names below the
  /// root, so the root's own location (say `/data/real/...`) never changes a label.
  public func place(_ video: VideoFolder) throws -> Placement {
    let names = video.components
    func fail(_ reason: String) -> DataError { .layout(dataset: rawValue, path: video.path, reason: reason) }
    /// The one of `choices` found among the folder names, in `choices` order.
    func find(_ choices: [String], _ what: String) throws -> String {
      guard let hit = choices.first(where: names.contains) else {
        throw fail("no \(choices.map { $0 + "/" }.joined(separator: " or ")) folder on the path (\(what))")
      }
      return hit
    }
    switch self {
    case .msu:
      // Reference: real iff the path has /real/; an attack/ folder is required so that a tree
      // of another dataset is not read as all spoof.
      let kind = try find(["real", "attack"], "MSU-MFSD puts videos under real/ or attack/")
      return Placement(group: rawValue, label: kind == "real" ? 1 : 0, included: true, split: nil)
    case .casia:
      let release = try find(["train_release", "test_release"], "CASIA-FASD's two releases")
      let name = names.last!
      guard Self.casiaVideos.contains(name) else {
        throw fail("video folder '\(name)' is not one of CASIA's \(Self.casiaVideos.sorted().joined(separator: ", "))")
      }
      let live = ["1", "2", "HR_1"].contains(name)
      return Placement(
        group: rawValue, label: live ? 1 : 0, included: true, split: release == "train_release" ? "train" : "test")
    case .replay:
      let kind = try find(["real", "attack"], "Replay-Attack puts videos under real/ or attack/")
      // The authors' extraction names the parts replayattack-train/-devel/-test; the
      // dataset's own archive, train/devel/test.
      let part = try find(
        ["train", "devel", "test", "replayattack-train", "replayattack-devel", "replayattack-test"],
        "Replay-Attack's three parts")
      return Placement(group: rawValue, label: kind == "real" ? 1 : 0, included: !part.hasSuffix("devel"), split: nil)
    case .oulu:
      let part = try find(["Train_files", "Dev_files", "Test_files"], "OULU-NPU's three parts")
      let name = names.last!
      let fields = name.split(separator: "_", omittingEmptySubsequences: false)
      guard fields.count == 4, fields.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
        throw fail("video folder '\(name)' is not named Phone_Session_User_File (e.g. 1_1_01_1)")
      }
      return Placement(group: rawValue, label: fields[3] == "1" ? 1 : 0, included: part != "Dev_files", split: nil)
    case .folders:
      guard names.count == 3, names[1] == "live" || names[1] == "spoof" else {
        throw fail("expected <domain>/live/<video> or <domain>/spoof/<video> under the root")
      }
      return Placement(group: names[0], label: names[1] == "live" ? 1 : 0, included: true, split: nil)
    }
  }

  /// CASIA-FASD's video names: 1, 2, HR_1 live; 3-8, HR_2-HR_4 attacks.
  static let casiaVideos: Set<String> = ["1", "2", "3", "4", "5", "6", "7", "8", "HR_1", "HR_2", "HR_3", "HR_4"]
}

extension Character {
  fileprivate var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
