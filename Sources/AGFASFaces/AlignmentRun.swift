import AGFASImage
import AGFASVideo
import Foundation

/// Runs an `AlignmentJob`: decode, detect, align, write PNGs atomically, and finally the
/// `faces.json` report. A failing image is reported and skipped; the run goes on.
public struct AlignmentRun: Sendable {
  public let detector: MTCNN
  /// Side of the aligned crops.
  public let size: Int
  /// Write every face, not only the largest.
  public let allFaces: Bool
  public let template: FaceTemplate
  public let limits: ImageLimits
  /// For videos: align every N-th frame.
  public let every: Int

  /// What happened to one image, for progress display.
  public enum Event: Sendable {
    case aligned(index: Int, input: String, faces: Int, seconds: Double)
    case noFace(index: Int, input: String)
    case failed(index: Int, input: String, error: String)
  }

  public init(
    detector: MTCNN, size: Int = 256, allFaces: Bool = false, template: FaceTemplate = .agfas,
    limits: ImageLimits = ImageLimits(), every: Int = 1
  ) throws {
    guard size >= 1, size <= 8192 else { throw FacesError.option("crop size \(size) must be in 1...8192") }
    guard every >= 1 else { throw FacesError.option("every \(every) must be at least 1") }
    (self.detector, self.size, self.allFaces, self.template, self.limits) = (detector, size, allFaces, template, limits)
    self.every = every
  }

  /// The name of the report in the output folder.
  public static let reportName = "faces.json"

  /// Processes every item, calling `progress` after each, writes `<output>/faces.json`, and
  /// returns the report.
  @discardableResult
  public func run(_ job: AlignmentJob, progress: (Event) -> Void = { _ in }) throws -> AlignmentReport {
    try FileSystemError.createFolder(job.output)
    var report = AlignmentReport(detector: detector.options, size: size, template: template)
    var index = 0
    // Inputs the job could not even name are failures too, listed first.
    for s in job.skipped {
      report.failed.append(.init(input: s.path, error: s.reason))
      progress(.failed(index: index, input: s.path, error: s.reason))
    }
    /// Aligns one image (a file, or a decoded video frame) and records the outcome.
    func handle(_ item: AlignmentJob.Item, _ image: () throws -> Image) {
      defer { index += 1 }
      let start = DispatchTime.now().uptimeNanoseconds
      do {
        let entry = try align(image(), item, into: job.output)
        if entry.faces.isEmpty {
          report.noFace.append(item.input)
          progress(.noFace(index: index, input: item.input))
        } else {
          report.images.append(entry)
          let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
          progress(.aligned(index: index, input: item.input, faces: entry.faces.count, seconds: seconds))
        }
      } catch {
        report.failed.append(.init(input: item.input, error: "\(error)"))
        progress(.failed(index: index, input: item.input, error: "\(error)"))
      }
    }
    for item in job.items {
      guard item.isVideo else {
        handle(item) { try Image(contentsOfFile: item.input, limits: limits) }
        continue
      }
      do {
        // Frame k (from 1) of video `v` is reported as "v#k" and written as <stem>/<k>.png.
        try VideoFrames.forEach(path: item.input, every: every, limits: limits) { frame, image in
          handle(AlignmentJob.Item(input: "\(item.input)#\(frame + 1)", stem: "\(item.stem)/\(frame + 1)")) { image }
          return true
        }
      } catch {
        report.failed.append(.init(input: item.input, error: "\(error)"))
        progress(.failed(index: index, input: item.input, error: "\(error)"))
        index += 1
      }
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let json = try encoder.encode(report)
    try AtomicFile.write(Array(json), to: URL(fileURLWithPath: job.output).appendingPathComponent(Self.reportName).path)
    return report
  }

  /// Detects the faces of one image and writes the aligned ones.
  func align(_ image: Image, _ item: AlignmentJob.Item, into output: String) throws -> AlignmentReport.Entry {
    let faces = try detector.detect(image)
    var entries: [AlignmentReport.Face] = []
    for (k, face) in faces.enumerated() {
      guard k == 0 || allFaces else {
        entries.append(.init(face, aligned: nil, transform: nil))
        continue
      }
      let aligned = try FaceAlignment.align(image, landmarks: face.landmarks, size: size, template: template)
      let relative = item.output(face: k)
      let path = URL(fileURLWithPath: output).appendingPathComponent(relative)
      try FileSystemError.createFolder(path.deletingLastPathComponent().path)
      try aligned.image.writePNG(to: path.path)
      entries.append(.init(face, aligned: relative, transform: aligned.transform))
    }
    return .init(input: item.input, width: image.width, height: image.height, faces: entries)
  }
}
