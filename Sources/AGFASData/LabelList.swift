/// One frame of a label file, as the reference writes it.
public struct FrameLabel: Equatable, Sendable {
  /// `photo_path`: the path prefix joined with the frame's path below the root.
  public var path: String
  /// `photo_label`: 1 live, 0 spoof.
  public var label: Int
  /// `photo_belong_to_video_ID`: the video's 0-based position in this list's videos, as the
  /// reference's sampler numbers them (its evaluation needs integers).
  public var video: Int

  public init(path: String, label: Int, video: Int) {
    self.path = path
    self.label = label
    self.video = video
  }
}

/// One label file: `<group>/<name>` under the output folder, and its entries.
public struct LabelList: Equatable, Sendable {
  /// The dataset name (`msu`, ...) or, for the generic layout, the domain folder.
  public var group: String
  /// `all_label.json`, `choose_real_label.json`, ... (see `LabelList.make`).
  public var name: String
  public var entries: [FrameLabel]

  public init(group: String, name: String, entries: [FrameLabel]) {
    self.group = group
    self.name = name
    self.entries = entries
  }

  /// `<group>/<name>`.
  public var relativePath: String { group + "/" + name }

  /// Every label list of the dataset tree under `root` laid out as `layout`, per group:
  /// `all_label.json`, `real_label.json`, `fake_label.json` (every frame), then
  /// `choose_all_label.json` (2 frames a video), `choose_real_label.json`,
  /// `choose_fake_label.json` (1 frame a video), and for CASIA `train_label.json` and
  /// `test_label.json` (every frame of each release). Videos in path order, frames in index
  /// order; photo paths are `pathPrefix/<video path>/<frame>` (just the part below the root
  /// when `pathPrefix` is empty).
  public static func make(layout: DatasetLayout, root: String, pathPrefix: String) throws -> [LabelList] {
    var skipped: [SkippedInput] = []
    return try make(layout: layout, root: root, pathPrefix: pathPrefix, skipped: &skipped)
  }

  /// `make(layout:root:pathPrefix:)`, listing in `skipped` the files the scan passed over.
  public static func make(
    layout: DatasetLayout, root: String, pathPrefix: String, skipped: inout [SkippedInput]
  ) throws -> [LabelList] {
    var groups: [String: [(video: VideoFolder, place: DatasetLayout.Placement)]] = [:]
    for video in try VideoFolder.scan(root: root, skipped: &skipped) {
      let place = try layout.place(video)
      if place.included { groups[place.group, default: []].append((video, place)) }
    }
    if layout != .folders {
      let labels = Set(groups.values.joined().map(\.place.label))
      for (label, kind) in [(1, "live"), (0, "spoof")] where !labels.contains(label) {
        throw DataError.missingClass(dataset: layout.rawValue, root: root, kind: kind)
      }
    }
    let join = PathJoin(prefix: pathPrefix)
    var lists: [LabelList] = []
    for group in groups.keys.sorted(by: { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }) {
      let videos = groups[group]!
      let (real, fake) = (videos.filter { $0.place.label == 1 }, videos.filter { $0.place.label == 0 })
      var named: [(String, [FrameLabel])] = [
        ("all_label.json", join.every(videos)), ("real_label.json", join.every(real)),
        ("fake_label.json", join.every(fake)), ("choose_all_label.json", join.sampled(videos, perVideo: 2)),
        ("choose_real_label.json", join.sampled(real, perVideo: 1)),
        ("choose_fake_label.json", join.sampled(fake, perVideo: 1)),
      ]
      if layout == .casia {
        for split in ["train", "test"] {
          named.append(("\(split)_label.json", join.every(videos.filter { $0.place.split == split })))
        }
      }
      lists += named.map { LabelList(group: group, name: $0.0, entries: $0.1) }
    }
    return lists
  }
}

/// Builds the entries of one list from its videos.
private struct PathJoin {
  var prefix: String

  func path(_ video: VideoFolder, _ frame: String) -> String {
    let below = video.path + "/" + frame
    if prefix.isEmpty { return below }
    return prefix.hasSuffix("/") ? prefix + below : prefix + "/" + below
  }

  /// Every frame of every video.
  func every(_ videos: [(video: VideoFolder, place: DatasetLayout.Placement)]) -> [FrameLabel] {
    videos.enumerated().flatMap { id, item in
      item.video.frames.map { FrameLabel(path: path(item.video, $0), label: item.place.label, video: id) }
    }
  }

  /// `k` frames of each video: frame `(6 + j*floor(n/k)) mod n`, j = 0..<k, of its n frames in
  /// index order (docs/method.md §7; the reference's offset 6 wraps for videos of 6 frames or fewer).
  func sampled(_ videos: [(video: VideoFolder, place: DatasetLayout.Placement)], perVideo k: Int) -> [FrameLabel] {
    videos.enumerated().flatMap { id, item in
      let frames = item.video.frames
      return (0..<k).map { j in
        let frame = frames[(6 + j * (frames.count / k)) % frames.count]
        return FrameLabel(path: path(item.video, frame), label: item.place.label, video: id)
      }
    }
  }
}
