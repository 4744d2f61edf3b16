import AGFASImage
import AGFASVideo
import ArgumentParser
import Foundation

struct Frames: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Extract video frames as PNGs, one folder per video (the layout `agfas align` and `agfas labels` read).",
    discussion: """
      Decodes each VIDEO with FFmpeg's libraries (Debian's libav*) and writes frame k of the \
      decode order as OUT/<video name>/<k>.png, counting from 1 as `ffmpeg -i v.mp4 %d.png` \
      does; --every N keeps frames 1, 1+N, 1+2N, ... Then: agfas align OUT --out ALIGNED.
      """)

  @Argument(help: "Video files (mp4, avi, mov, mkv, ...).")
  var videos: [String]

  @Option(help: "Output folder.")
  var out: String

  @Option(parsing: .unconditional, help: "Keep every N-th frame.")
  var every = 1

  // No --max-pixels-per-byte: a video frame has no file of its own whose size could bound it
  // (see VideoFrames.forEach).
  @Option(parsing: .unconditional, help: "Refuse frames with more pixels than this.")
  var maxPixels = ImageLimits.defaultMaxPixels

  func validate() throws {
    guard every >= 1 else { throw ValidationError("--every must be at least 1, not \(every)") }
    guard maxPixels >= 1 else { throw ValidationError("--max-pixels must be at least 1, not \(maxPixels)") }
  }

  func run() throws {
    var failed = 0
    for video in videos {
      let folder = URL(fileURLWithPath: out).appendingPathComponent(
        URL(fileURLWithPath: video).deletingPathExtension().lastPathComponent)
      do {
        try FileSystemError.createFolder(folder.path)
        let count = try VideoFrames.forEach(path: video, every: every, limits: ImageLimits(maxPixels: maxPixels)) {
          index, image in
          try image.writePNG(to: folder.appendingPathComponent("\(index + 1).png").path)
          return true
        }
        stderr("\(video): \(count) frames -> \(folder.path)")
      } catch {
        failed += 1
        stderr("failed: \(error)")
      }
    }
    if failed > 0 { throw ExitCode(1) }
  }
}
