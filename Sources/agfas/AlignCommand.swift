import AGFASFaces
import AGFASImage
import ArgumentParser
import Foundation

struct Align: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Detect faces (MTCNN) and align them onto the AG-FAS 5-point template (docs/method.md §1).",
    discussion: """
      INPUT is any number of images, videos and folders (PNG/JPEG; mp4, avi, mov, mkv, ... \
      decoded with FFmpeg's libraries; folders are searched recursively and their tree is kept \
      under --out). For each image the largest face is written as \
      <name>.png (RGB, --size square); with --all-faces the others follow as <name>_1.png, \
      <name>_2.png, ... by decreasing size. --out/faces.json lists every image with its faces \
      (box [x1,y1,x2,y2], probability, 5 landmarks, the aligned file and the 2x3 transform), \
      the images with no face ("no_face") and those that could not be read ("failed"); both \
      kinds are also named on standard error, and the exit status is 1 if any failed.

      Alignment: least-squares similarity (Umeyama, no reflection) from the landmarks to the \
      template, bilinear sampling, black outside the photo.

      MTCNN weights: facenet-pytorch 2.6.0's pnet.pt, rnet.pt and onet.pt (MIT); `agfas models \
      fetch mtcnn` puts them into the models folder's mtcnn/, which is the default; --weights or \
      AGFAS_MTCNN_WEIGHTS name another folder holding the three files.

      Videos: frame k (counting from 1; --every N keeps 1, 1+N, ...) of <name>.mp4 is aligned \
      into <name>/<k>.png, the one-folder-per-video layout `agfas labels` reads, and reported \
      as <name>.mp4#k. `agfas frames` extracts the unaligned frames the same way.
      """)

  @Argument(help: "Images, videos and/or folders of them.")
  var inputs: [String]

  @Option(help: "Output folder (created if needed).")
  var out: String

  @Option(parsing: .unconditional, help: "Side of the aligned square crops, in pixels.")
  var size = 256

  // .unconditional on numbers: "-5" is read as the value (and refused by validate()), not
  // as a missing value.
  @Option(parsing: .unconditional, help: "Smallest face to look for, in pixels (smaller is slower).")
  var minFace: Double = 20

  @Option(help: "MTCNN thresholds of PNet, RNet and ONet, comma separated.")
  var thresholds = "0.6,0.7,0.7"

  @Option(
    help: "Folder holding pnet.pt, rnet.pt and onet.pt (default: $AGFAS_MTCNN_WEIGHTS, else <models>/mtcnn).")
  var weights: String?

  @Option(help: "The models folder (default: $AGFAS_HOME/models, else ~/.cache/agfas/models).")
  var models: String?

  @Option(parsing: .unconditional, help: "Refuse images with more pixels than this (decompression-bomb guard).")
  var maxPixels = ImageLimits().maxPixels

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Refuse images over 4096x4096 pixels with more pixels than this per byte of their file (0: no such limit).",
      discussion: "Photos hold 0.5 to 5 pixels per byte; decompression bombs hundreds. Video frames are not concerned.")
  )
  var maxPixelsPerByte = ImageLimits.defaultMaxPixelsPerByte

  @Option(parsing: .unconditional, help: "For videos: align every N-th frame.")
  var every = 1

  @Flag(help: "Write every face of an image, not only the largest.")
  var allFaces = false

  /// The detector options the flags give; checked in `validate()` so a mistake shows this
  /// subcommand's usage.
  var detectionOptions: DetectionOptions {
    get throws {
      let fields = thresholds.split(separator: ",", omittingEmptySubsequences: false)
      let parsed = fields.compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
      guard fields.count == 3, parsed.count == 3 else {
        throw ValidationError("--thresholds must be three numbers like 0.6,0.7,0.7, not '\(thresholds)'")
      }
      let options = DetectionOptions(minFaceSize: minFace, thresholds: parsed)
      do {
        try options.validate()
      } catch {
        throw ValidationError("\(error)")
      }
      return options
    }
  }

  func validate() throws {
    _ = try detectionOptions
    guard size >= 1 else { throw ValidationError("--size must be at least 1, not \(size)") }
    guard every >= 1 else { throw ValidationError("every \(every) must be at least 1 (--every)") }
    guard maxPixels >= 1 else { throw ValidationError("--max-pixels must be at least 1, not \(maxPixels)") }
    guard maxPixelsPerByte >= 0 else {
      throw ValidationError("--max-pixels-per-byte must be 0 (no limit) or more, not \(maxPixelsPerByte)")
    }
  }

  func run() throws {
    let options = try detectionOptions
    let job = try AlignmentJob(inputs: inputs, output: out)
    let folder = mtcnnWeightsFolder(weights, models: models)
    let detector = try MTCNN(weightsFolder: folder, options: options)
    let run = try AlignmentRun(
      detector: detector, size: size, allFaces: allFaces,
      limits: ImageLimits(maxPixels: maxPixels, maxPixelsPerByte: maxPixelsPerByte), every: every)
    let videos = job.items.filter(\.isVideo).count
    stderr("aligning faces in \(job.items.count - videos) image(s) and \(videos) video(s) into \(out)")
    // A video's frame count is known only once decoded: then positions go without a total.
    let progress = AlignProgress(total: videos == 0 ? job.items.count : nil)
    let report = try run.run(job) { progress.handle($0) }
    stderr(
      "done: \(report.images.count) with faces (\(report.images.map(\.faces.count).reduce(0, +)) faces), "
        + "\(report.noFace.count) without a face, \(report.failed.count) failed; see \(out)/\(AlignmentRun.reportName)")
    if !report.failed.isEmpty { throw ExitCode(1) }
  }
}

/// One line per image on standard error: position, outcome, speed and time left.
struct AlignProgress {
  let total: Int?
  let started = DispatchTime.now().uptimeNanoseconds

  func position(_ i: Int) -> String { total.map { "[\(i + 1)/\($0)]" } ?? "[\(i + 1)]" }

  func handle(_ event: AlignmentRun.Event) {
    switch event {
    case .aligned(let i, let input, let faces, let seconds):
      var line = String(format: "%@ %@: %d face(s), %.2f s", position(i), input, faces, seconds)
      if let total {
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        line += String(format: "; about %.0f s left", elapsed / Double(i + 1) * Double(total - i - 1))
      }
      stderr(line)
    case .noFace(let i, let input):
      stderr("\(position(i)) no face: \(input)")
    case .failed(let i, let input, let error):
      stderr("\(position(i)) failed: \(error.contains(input) ? error : "\(input): \(error)")")
    }
  }
}
