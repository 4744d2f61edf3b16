import AGFASOANet
import ArgumentParser
import Foundation

struct Predict: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "P(live) of faces from a trained OA-Net and their DFG reconstructions (docs/method.md §3, §4).",
    discussion: """
      Loads a checkpoint saved by AGFAS or by the reference PyTorch code (torch.save'd dicts, \
      training checkpoints with a state_dict, DataParallel's module. prefixes, safetensors). \
      Each IMAGE needs one --reconstruction of the same size, in the same order (PNG/JPEG). \
      Prints one JSON object per face: {"image", "p_live", "label", "threshold"}; a pair \
      that cannot be read prints {"image", "error"} (also on standard error) and the rest go \
      on, as align does; the exit status is then 1.
      """)

  @Option(help: "The trained OA-Net checkpoint (.pth/.tar/.safetensors).")
  var oanet: String

  @Option(help: "An oanet_config.json for sizes the weights do not show (heads of a non-standard ViT).")
  var config: String?

  @Option(help: "The reconstruction of each IMAGE, in order (repeat the option for several faces).")
  var reconstruction: [String] = []

  // .unconditional: "--threshold -5" is read as the value (refused by validate()), not as a
  // missing value.
  @Option(parsing: .unconditional, help: "P(live) at or above this is labelled live.")
  var threshold: Float = 0.5

  @Option(
    help: "auto, fp32, or bf16 (about 1.8x faster where native; P(live) within ~0.01 of fp32); \(autoPrecisionHelp).")
  var precision = "auto"

  @Argument(help: "Aligned face images (PNG/JPEG).")
  var images: [String]

  func validate() throws {
    guard !images.isEmpty else { throw ValidationError("give at least one IMAGE") }
    guard images.count == reconstruction.count else {
      throw ValidationError(
        "\(images.count) image(s) but \(reconstruction.count) --reconstruction: give one reconstruction per image")
    }
    try validatePrecision(precision)
    guard threshold.isFinite, (0...1).contains(threshold) else {
      throw ValidationError("--threshold must be within [0, 1], not \(threshold)")
    }
  }

  func run() throws {
    let predictor = try OANetPredictor(
      checkpoint: oanet, configPath: config, threshold: threshold, precision: precisionType(precision)
    )
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var failed = 0
    for (image, rec) in zip(images, reconstruction) {
      do {
        let prediction = try predictor.predict(faceFile: image, reconstructionFile: rec)
        let line = PredictionLine(image: image, prediction: prediction)
        print(String(decoding: try encoder.encode(line), as: UTF8.self))
      } catch {
        // One bad pair does not hide the others' scores: say which and go on.
        failed += 1
        print(String(decoding: try encoder.encode(["image": image, "error": "\(error)"]), as: UTF8.self))
        stderr("failed: \(image): \(error)")
      }
    }
    if failed > 0 {
      stderr("\(failed) of \(images.count) pair(s) failed")
      throw ExitCode(1)
    }
  }
}

/// One output line: the prediction with the image it is about.
private struct PredictionLine: Encodable {
  let image: String
  let prediction: OANetPrediction

  enum CodingKeys: String, CodingKey { case image }

  func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(image, forKey: .image)
    try prediction.encode(to: encoder)
  }
}
