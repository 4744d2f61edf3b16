import AGFASCheck
import AGFASDFG
import AGFASData
import AGFASEngine
import AGFASFaces
import AGFASImage
import AGFASModels
import AGFASOANet
import ArgumentParser
import Foundation

struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check photos for liveness: faces, alignment, DFG reconstruction, anomalous cue, OA-Net.",
    discussion: """
      Each face of each PHOTO (PNG/JPEG) is found by MTCNN, aligned onto the template, re-drawn \
      as a live face by the DFG; the anomalous cue is their difference, and a trained OA-Net \
      (--oanet) scores the pair. One JSON line per face on stdout: photo, face, box, \
      landmarks, detector score, p_live and label (null without --oanet), cue statistics (in \
      8-bit grey levels) and the images written (OUT/<photo>/face<k>/aligned.png, \
      reconstruction.png, cue.png). --report DIR writes a self-contained HTML page of it all. \
      A photo that cannot be read (damaged, too large, or a name that is not UTF-8) gets a line \
      with an "error" instead; the others are checked, and the exit status is then 1.

      No trained OA-Net is released (training needs the four licensed datasets: agfas train), \
      so without --oanet there is no verdict, only the cue. Models missing from the models \
      folder are fetched first (asking before more than 1 GB; --yes agrees). Equal to agfas \
      align --all-faces, agfas reconstruct and agfas predict run one after another; the \
      stages are described in docs/method.md.
      """)

  @Argument(help: "Photos to check.")
  var photos: [String] = []
  @Flag(help: "Check the example photo (astronaut.png from scikit-image), fetched with the models.")
  var example = false

  @Option(help: "A trained OA-Net checkpoint (AGFAS's or the reference's); without it, no verdict.")
  var oanet: String?
  @Option(help: "OA-Net config JSON, for sizes the checkpoint does not show.")
  var config: String?
  // Numbers use .unconditional parsing: "--threshold -5" is read and refused by validate(),
  // not taken for a missing value.
  @Option(parsing: .unconditional, help: "P(live) at or above this is 'live'.")
  var threshold: Float = 0.5

  @Option(help: "Write a self-contained HTML report (DIR/index.html).")
  var report: String?
  @Option(help: "Folder for the face images (default: the --report folder, else ./agfas-check).")
  var out: String?

  @Option(help: "auto, fp32 or bf16; \(autoPrecisionHelp).")
  var precision = "auto"
  @Option(help: "The models folder (default: $AGFAS_HOME/models, else ~/.cache/agfas/models).")
  var models: String?
  @Option(help: "MTCNN weights folder (default: $AGFAS_MTCNN_WEIGHTS, else <models>/mtcnn).")
  var weights: String?
  @Flag(help: "Do not ask before fetching more than 1 GB of models.")
  var yes = false

  @OptionGroup var stages: CheckStageOptions

  func validate() throws {
    guard !photos.isEmpty || example else { throw ValidationError("give at least one PHOTO, or --example") }
    try validatePrecision(precision)
    guard threshold.isFinite, (0...1).contains(threshold) else {
      throw ValidationError("--threshold must be within [0, 1], not \(threshold)")
    }
  }

  func run() throws {
    // A photo whose name is not UTF-8 reaches us with U+FFFD in place of its bytes and cannot
    // be opened: listed as skipped with the reason before anything is loaded, the others are
    // checked, and the run fails at the end (as align lists them).
    let skipped = photos.compactMap { photo in
      RawArguments.undecodable(photo).map { SkippedInput(path: $0, reason: "file name is not valid UTF-8; rename it") }
    }
    for s in skipped {
      stderr("\(s)")
      try printLine(["photo": s.path, "face": nil, "error": s.reason])
    }
    let readable = photos.filter { RawArguments.undecodable($0) == nil }
    guard !readable.isEmpty || example else {
      stderr("no photo left to check: \(skipped.count) skipped")
      throw ExitCode(1)
    }

    let folder = modelsFolder(models)
    let mtcnn = mtcnnWeightsFolder(weights, models: models)
    try fetchMissing(folder: folder, mtcnnGiven: mtcnn != folder.location(ofItem: "mtcnn"))
    var inputs = readable
    if example { inputs.insert(folder.location(ofItem: "examples")! + "/astronaut.png", at: 0) }

    let dtype = try precisionType(precision)
    stderr("loading MTCNN, the DFG (\(precisionName(dtype)))\(oanet == nil ? "" : " and OA-Net") ...")
    let detector = try MTCNN(weightsFolder: mtcnn, options: stages.detection)
    let dfg = try DFGPipeline.load(
      try dfgModelPaths(models: models, lora: stages.lora, partFlags: false), precision: dtype)
    let predictor = try oanet.map {
      try OANetPredictor(checkpoint: $0, configPath: config, threshold: threshold, precision: dtype)
    }
    if predictor == nil {
      stderr(
        "no --oanet: no liveness verdict (none is released; `agfas train` makes one from the four datasets); "
          + "the anomalous cue is still computed and shown")
    }
    let check = LivenessCheck(
      detector: detector, dfg: dfg, oanet: predictor,
      options: stages.check)
    // One error for the run (a step count the scheduler cannot take), not one per photo.
    try dfg.check(check.options.reconstruction)

    let output = out ?? report ?? "agfas-check"
    let names = PhotoFolders(inputs)
    var reportPhotos: [CheckReport.Photo] = skipped.map {
      .init(path: $0.path, image: nil, faces: [], problem: $0.reason)
    }
    var failed = skipped.count
    let status = StatusLine()
    for (i, photo) in inputs.enumerated() {
      let image: Image
      do {
        image = try Image(
          contentsOfFile: photo, limits: stages.limits)
      } catch {
        failed += 1
        stderr("[\(i + 1)/\(inputs.count)] failed: \(error)")
        try printLine(["photo": photo, "face": nil, "error": "\(error)"])
        reportPhotos.append(.init(path: photo, image: nil, faces: [], problem: "\(error)"))
        continue
      }
      let started = DispatchTime.now().uptimeNanoseconds
      let faces = try check.check(image) { event in
        switch event {
        case .detected(let n): stderr("[\(i + 1)/\(inputs.count)] \(photo): \(n) face(s)")
        case .reconstructing(let k, let step, let of) where status.live || step == of:
          status.show("  face \(k): DFG step \(step)/\(of)")
        case .reconstructing: break
        }
      }
      status.end()
      if faces.isEmpty {
        try printLine(["photo": photo, "face": nil, "error": "no face found"])
      }
      for face in faces {
        let paths = try face.writeImages(into: output + "/" + names.folder(i) + "/face\(face.index)")
        try printLine(FaceLine(photo: photo, face: face, images: paths).object)
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
      if !faces.isEmpty { stderr(String(format: "  %.1f s for %d face(s)", seconds, faces.count)) }
      reportPhotos.append(
        .init(path: photo, image: image, faces: faces, problem: faces.isEmpty ? "no face found" : nil))
    }
    if let report {
      let about = [
        "models: \(folder.path)", "precision: \(precisionName(dtype))",
        "seed \(stages.seed), strength \(stages.strength), \(stages.steps) steps",
        oanet.map { "OA-Net: \($0), threshold \(threshold)" } ?? "no OA-Net",
      ]
      let page = try CheckReport(photos: reportPhotos, scored: predictor != nil, about: about).write(to: report)
      stderr("report: \(page)")
    }
    if failed > 0 { throw ExitCode(1) }
  }

  /// Fetches the sets this check needs that the models folder lacks (asking before > 1 GB).
  func fetchMissing(folder: ModelsFolder, mtcnnGiven: Bool) throws {
    let manifest = try ModelManifest.load()
    let wanted = ["dfg"] + (mtcnnGiven ? [] : ["mtcnn"]) + (example ? ["examples"] : [])
    let missing = try wanted.filter { set in
      try manifest.items(inSets: [set]).contains { !folder.status(of: $0).isPresent }
    }
    guard !missing.isEmpty else { return }
    stderr("fetching what is missing from \(folder.path): \(missing.joined(separator: ", "))")
    try fetchModels(sets: missing, manifest: manifest, folder: folder, yes: yes)
  }

  func printLine(_ object: [String: Any?]) throws {
    let data = try JSONSerialization.data(
      withJSONObject: object.mapValues { $0 ?? NSNull() }, options: [.sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
  }
}

/// One output line of `check`.
struct FaceLine {
  var photo: String
  var face: LivenessCheck.Face
  var images: [String: String]

  var object: [String: Any?] {
    let d = face.detection
    let s = face.cue.statistics
    return [
      "photo": photo, "face": face.index, "box": [d.box.x1, d.box.y1, d.box.x2, d.box.y2].map(Double.init),
      "landmarks": d.landmarks.map { [Double($0.x), Double($0.y)] }, "score": Double(d.score),
      "p_live": face.prediction.map { Double($0.pLive) }, "label": face.prediction?.label,
      "threshold": face.prediction.map { Double($0.threshold) },
      "cue": ["mean_abs": s.meanAbs, "rms": s.rms, "p95": s.p95, "max": s.max], "images": images,
    ]
  }
}

/// A folder name per photo, its file name, made unique where two photos share one.
struct PhotoFolders {
  private var names: [String] = []

  init(_ photos: [String]) {
    var seen: [String: Int] = [:]
    for photo in photos {
      let base = (photo as NSString).lastPathComponent
      let n = seen[base, default: 0] + 1
      seen[base] = n
      names.append(n == 1 ? base : "\(base)-\(n)")
    }
  }

  func folder(_ i: Int) -> String { names[i] }
}
