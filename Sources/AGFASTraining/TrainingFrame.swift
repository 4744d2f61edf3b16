import Foundation

/// One training or validation face: its PNG, the De-fake Face Generator's reconstruction of
/// it, its label and where it comes from.
public struct TrainingFrame: Equatable, Sendable {
  /// The face image.
  public var image: String
  /// Its reconstruction (same size).
  public var reconstruction: String
  /// 1 live, 0 spoof (the reference's labels).
  public var label: Int
  /// Index of its domain in the run's domain list (the discriminator's class for sources).
  public var domain: Int
  /// The video it belongs to (video-level evaluation averages its frames).
  public var video: String

  public init(image: String, reconstruction: String, label: Int, domain: Int, video: String) {
    self.image = image
    self.reconstruction = reconstruction
    self.label = label
    self.domain = domain
    self.video = video
  }
}

/// The folder convention `<root>/<domain>/{live,spoof}/<video>/<frame>.png`, with the
/// reconstructions in a parallel tree under another root (the same relative paths, as
/// `agfas reconstruct` writes them). Every frame a video folder holds is used: put the
/// sampled frames there (docs/method.md §5: one per video for training, two for testing).
public enum FolderDataset {
  /// The frames of `domain` under `data`, labelled from their `live`/`spoof` folder, videos
  /// and frames in sorted order (frames by number). Throws if a reconstruction is missing or
  /// the domain has no frames.
  public static func frames(data: String, reconstructions: String, domain: String, index: Int) throws
    -> [TrainingFrame]
  {
    let fm = FileManager.default
    let domainFolder = (data as NSString).appendingPathComponent(domain)
    var isFolder: ObjCBool = false
    guard fm.fileExists(atPath: domainFolder, isDirectory: &isFolder), isFolder.boolValue else {
      throw TrainingError.data("no domain folder \(domainFolder)")
    }
    var out: [TrainingFrame] = []
    for (className, label) in [("live", 1), ("spoof", 0)] {
      let classFolder = (domainFolder as NSString).appendingPathComponent(className)
      guard fm.fileExists(atPath: classFolder) else { continue }
      for video in try sortedEntries(classFolder) {
        let relativeVideo = "\(domain)/\(className)/\(video)"
        let videoFolder = (data as NSString).appendingPathComponent(relativeVideo)
        let frames = try sortedEntries(videoFolder).filter { $0.lowercased().hasSuffix(".png") }
        for frame in frames.sorted(by: frameOrder) {
          let relative = "\(relativeVideo)/\(frame)"
          let rec = (reconstructions as NSString).appendingPathComponent(relative)
          guard fm.fileExists(atPath: rec) else { throw TrainingError.data("no reconstruction \(rec) for \(relative)") }
          out.append(
            TrainingFrame(
              image: (data as NSString).appendingPathComponent(relative), reconstruction: rec, label: label,
              domain: index, video: relativeVideo))
        }
      }
    }
    guard !out.isEmpty else { throw TrainingError.data("domain \(domainFolder) has no live/spoof frames") }
    return out
  }

  private static func sortedEntries(_ folder: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
  }

  /// `<number>.png` by number, anything else by name after the numbered frames.
  private static func frameOrder(_ a: String, _ b: String) -> Bool {
    let (x, y) = (Int(a.prefix { $0.isNumber }), Int(b.prefix { $0.isNumber }))
    switch (x, y) {
    case (let x?, let y?) where x != y: return x < y
    case (.some, nil): return true
    case (nil, .some): return false
    default: return a < b
    }
  }
}

/// Training failures: bad data folders, options or checkpoints, each saying which.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
  case data(String)
  case options(String)
  case checkpoint(String)

  public var description: String {
    switch self {
    case .data(let m): "training data: \(m)"
    case .options(let m): "training options: \(m)"
    case .checkpoint(let m): "training checkpoint: \(m)"
    }
  }
}
