import AGFASFaces
import AGFASImage
import Foundation

/// `agfas bench faces`: MTCNN detection and alignment on a 640x480 photo.
public enum FacesBenchmark {
  /// The photo scripts/bench_faces_torch.py builds too: `photo` area-resized to 480x480
  /// (torch `area`, rounded) at x = 80 on a black 640x480 canvas.
  public static func benchImage(photo: String) throws -> Image {
    let face = try Image(contentsOfFile: photo).areaResized(width: 480, height: 480)
    var canvas = try Image(width: 640, height: 480, channels: 3)
    for y in 0..<480 {
      for x in 0..<480 {
        for c in 0..<3 { canvas[x: 80 + x, y: y, channel: c] = face[x: x, y: y, channel: c] }
      }
    }
    return canvas
  }

  /// Median seconds of detection, alignment of every face to `size`, and both together.
  /// `log` receives progress lines and the faces found.
  public static func run(weights: String, photo: String, size: Int, repeats: Int, log: (String) -> Void) throws
    -> [BenchResult]
  {
    let mtcnn = try MTCNN(weightsFolder: weights)
    let image = try benchImage(photo: photo)
    let faces = try mtcnn.detect(image)
    log("\(faces.count) face(s) in the 640x480 photo; probabilities \(faces.map(\.score))")
    func alignAll(_ faces: [DetectedFace]) throws {
      for face in faces { _ = try FaceAlignment.align(image, landmarks: face.landmarks, size: size) }
    }
    let rows: [(String, () throws -> Void)] = [
      ("detect 640x480", { _ = try mtcnn.detect(image) }),
      ("align \(size)x\(size)", { try alignAll(faces) }),
      ("detect + align 640x480", { try alignAll(try mtcnn.detect(image)) }),
    ]
    return try rows.map { op, body in
      BenchResult(op: op, dtype: "fp32", seconds: try medianSeconds(repeats: repeats, body), gflop: 0)
    }
  }

  /// Rows of milliseconds per photo, ours beside PyTorch's where it ran.
  public static func table(ours: [BenchResult], torch: [BenchResult]) -> String {
    func pad(_ s: String, _ n: Int) -> String {
      s.padding(toLength: Swift.max(n, s.count), withPad: " ", startingAt: 0)
    }
    var lines = [pad("per photo", 26) + pad("AGFAS ms", 11) + pad("PyTorch ms", 12) + "speed-up"]
    for r in ours {
      var line = pad(r.op, 26) + pad(String(format: "%.2f", r.seconds * 1000), 11)
      if let t = torch.first(where: { $0.op == r.op }) {
        line += pad(String(format: "%.2f", t.seconds * 1000), 12) + String(format: "%.2fx", t.seconds / r.seconds)
      }
      lines.append(line)
    }
    return lines.joined(separator: "\n")
  }
}
