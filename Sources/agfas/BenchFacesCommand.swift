import AGFASBench
import ArgumentParser
import Foundation

struct BenchFaces: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "faces",
    abstract: "Time MTCNN detection and alignment per 640x480 photo (the astronaut, padded).",
    discussion: """
      Build in release and fetch the material first:
        scripts/fetch_test_material.sh
        swift run -c release agfas bench faces --python VENV/bin/python
      The venv needs torch, torchvision, facenet-pytorch 2.6.0 (pip install --no-deps) and \
      scikit-image (alignment on the PyTorch side: SimilarityTransform + warp). \
      On shared or oversubscribed hosts set OMP_WAIT_POLICY=PASSIVE (both sides inherit it):
      OpenMP threads spinning between calls make medians erratic (docs/faces.md).
      """)

  @Option(help: "Folder holding pnet.pt, rnet.pt and onet.pt.")
  var weights = ".cache/test-material/facenet_pytorch/data"

  @Option(help: "The photo (scikit-image's astronaut.png) the 640x480 image is made from.")
  var photo = ".cache/test-material/skimage/data/astronaut.png"

  @Option(help: "Side of the aligned crops.")
  var size = 256

  @Option(help: "Timed repeats (the median is reported).")
  var `repeat` = 20

  @Option(help: "Python of a venv with facenet-pytorch; when given, it times the same work in this run.")
  var python: String?

  @Option(help: "The PyTorch side of the benchmark.")
  var torchScript = "scripts/bench_faces_torch.py"

  /// Checked before run(), so a mistake shows this subcommand's usage.
  func validate() throws {
    guard `repeat` > 0 else { throw ValidationError("--repeat must be at least 1") }
  }

  func run() throws {
    let threads = ProcessInfo.processInfo.activeProcessorCount
    print("AGFAS faces on \(threads) threads, \(`repeat`) repeats (median)")
    let ours = try FacesBenchmark.run(weights: weights, photo: photo, size: size, repeats: `repeat`) { print($0) }
    var torch: [BenchResult] = []
    if let python {
      print("running PyTorch (facenet-pytorch) ...")
      torch = try TorchReference.run(
        python: python, script: torchScript,
        arguments: ["--threads", "\(threads)", "--repeat", "\(`repeat`)", "--photo", photo, "--size", "\(size)"])
    }
    print(FacesBenchmark.table(ours: ours, torch: torch))
  }
}
