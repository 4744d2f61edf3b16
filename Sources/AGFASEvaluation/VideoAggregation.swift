/// One frame's P(live) with its label (1 live, 0 spoof) and the video it belongs to.
public struct FrameScore: Equatable, Sendable {
  public var score: Double
  public var label: Int
  public var video: String
  /// Where the frame came from ("scores.csv:12"), for error messages; nil: its position.
  public var origin: String?

  public init(score: Double, label: Int, video: String, origin: String? = nil) {
    self.score = score
    self.label = label
    self.video = video
    self.origin = origin
  }
}

/// A video's score: the mean P(live) of its frames, and its label.
public struct VideoScore: Equatable, Sendable, Codable {
  public var video: String
  public var score: Double
  public var label: Int
  /// How many frames were averaged.
  public var frames: Int

  public init(video: String, score: Double, label: Int, frames: Int) {
    self.video = video
    self.score = score
    self.label = label
    self.frames = frames
  }
}

/// Video-level scores as the reference reports them (docs/method.md §6): P(live) averaged over the frames
/// of each video.
public enum VideoAggregation {
  /// One `VideoScore` per distinct video, in order of first appearance. The mean is a plain
  /// float64 sum of the frames in input order divided by their count. Throws when `frames` is
  /// empty, a score is not finite, a label is not 0/1, or a video's frames disagree on the label.
  public static func average(_ frames: [FrameScore]) throws -> [VideoScore] {
    guard !frames.isEmpty else { throw EvaluationError.empty }
    var index: [String: Int] = [:]
    var videos: [VideoScore] = []
    var sums: [Double] = []
    for (i, frame) in frames.enumerated() {
      let item = frame.origin ?? "frame \(i) (video '\(frame.video)')"
      guard frame.score.isFinite else { throw EvaluationError.nonFiniteScore(item: item, value: frame.score) }
      guard frame.label == 0 || frame.label == 1 else {
        throw EvaluationError.invalidLabel(item: item, label: frame.label)
      }
      if let v = index[frame.video] {
        guard videos[v].label == frame.label else {
          throw EvaluationError.inconsistentVideoLabel(
            video: frame.video, first: videos[v].label, other: frame.label, item: item)
        }
        sums[v] += frame.score
        videos[v].frames += 1
      } else {
        index[frame.video] = videos.count
        videos.append(VideoScore(video: frame.video, score: 0, label: frame.label, frames: 1))
        sums.append(frame.score)
      }
    }
    for v in videos.indices { videos[v].score = sums[v] / Double(videos[v].frames) }
    return videos
  }
}
