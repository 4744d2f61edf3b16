import AGFASOANet
import AGFASTraining
import ArgumentParser
import Foundation

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train OA-Net with SSDG on three source domains, validating on a fourth (SPEC 5).",
    discussion: """
      Data follow the folder convention <data>/<domain>/{live,spoof}/<video>/<frame>.png, with
      each frame's reconstruction at the same relative path under --reconstructions. Every
      frame there is used, unless --labels names reference label files (agfas labels --layout
      folders): then sources train on choose_real/choose_fake and the target validates on
      choose_all. Every
      iteration takes --per-class live and spoof frames from each source domain (mirrored
      with p = 0.5, face and reconstruction together); the loss is CE + 1.0 triplet + 0.5
      adversarial; SGD momentum 0.9, weight decay 5e-4, lr warms up linearly over the first
      10% of the iterations, then decays by a cosine to 0.

      With --vit and --resnet the backbone and the cue encoder's conv1..layer3 start from
      the pretrained weights (SPEC 4); without them every weight starts from the seeded
      PyTorch-style random initialisation (for tests and experiments, not for the paper's
      numbers).

      OUT receives checkpoint.safetensors (whole run state, resumable with --resume; the
      result is bit-identical to an uninterrupted run), best.safetensors (the model with the
      lowest validation HTER, loadable by predict), log.jsonl (per-iteration losses, lr and
      validation metrics) and config.json. A progress line goes to stderr.
      """)

  @Option(help: "Root of the face frames: <domain>/{live,spoof}/<video>/<frame>.png.")
  var data: String
  @Option(help: "Root of the reconstructions, mirroring --data.")
  var reconstructions: String
  @Option(
    help:
      "Folder of reference label files <labels>/<domain>/choose_*_label.json (agfas labels) to take the frames from instead of every frame of the folders."
  )
  var labels: String?
  @Option(help: "Source domains, comma-separated (the discriminator's classes in this order).")
  var train: String?
  @Option(help: "Target domain for validation (left out of training).")
  var target: String?
  @Option(help: "Shorthand for --train and --target: SOURCES-TARGET, e.g. O,C,I-M.")
  var `protocol`: String?
  @Option(help: "Output folder for checkpoints and the log.")
  var out: String
  @Option(help: "Training iterations.")
  var iterations = 4000
  @Option(help: "Validate on the target domain every this many iterations (0: never).")
  var validateEvery = 10
  @Option(help: "Save the resumable checkpoint every this many iterations.")
  var checkpointEvery = 100
  @Option(help: "Live and spoof frames per source domain per iteration.")
  var perClass = 10
  @Option(help: "Peak learning rate.")
  var learningRate: Float = 1e-3
  @Option(help: "Seed of the initialisation, sampling, flips and dropout.")
  var seed: UInt64 = 0
  @Option(help: "fp32, or bf16 (bf16 compute over fp32 master weights; about 1.7x faster).")
  var precision = "fp32"
  @Flag(help: "Continue the run in --out from its last checkpoint.")
  var resume = false
  @Option(help: "transformers ViT folder (vit-base-patch16-224-in21k) for the backbone.")
  var vit: String?
  @Option(help: "torchvision resnet18 .pth for the cue encoder.")
  var resnet: String?
  @Option(help: "OA-Net config JSON (OANetConfig keys); default the reference's sizes.")
  var config: String?

  func validate() throws {
    guard (vit == nil) == (resnet == nil) else { throw ValidationError("--vit and --resnet go together") }
    _ = try split()
    guard TrainingPrecision(rawValue: precision) != nil else {
      throw ValidationError("--precision must be fp32 or bf16, not '\(precision)'")
    }
  }

  /// The source domains and the target, from --protocol or from --train and --target.
  func split() throws -> (sources: [String], target: String) {
    let (sources, target): (String, String)
    switch (self.protocol, train, self.target) {
    case (let p?, nil, nil):
      guard let dash = p.lastIndex(of: "-") else {
        throw ValidationError("--protocol \(p) is not SOURCES-TARGET, e.g. O,C,I-M")
      }
      (sources, target) = (String(p[..<dash]), String(p[p.index(after: dash)...]))
    case (nil, let t?, let g?): (sources, target) = (t, g)
    default: throw ValidationError("give either --protocol, or --train and --target")
    }
    let names = sources.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard !names.isEmpty, !target.isEmpty, !names.contains(target), Set(names).count == names.count else {
      throw ValidationError("the source domains \(names) must be distinct and not include the target '\(target)'")
    }
    return (names, target)
  }

  func run() throws {
    let (sourceNames, target) = try split()
    var modelConfig =
      try config.map { try JSONDecoder().decode(OANetConfig.self, from: Data(contentsOf: URL(fileURLWithPath: $0))) }
      ?? .reference
    modelConfig.numDomains = sourceNames.count
    var options = TrainingOptions()
    options.iterations = iterations
    options.validateEvery = validateEvery
    options.checkpointEvery = checkpointEvery
    options.perClass = perClass
    options.learningRate = learningRate
    options.seed = seed
    options.precision = TrainingPrecision(rawValue: precision) ?? .fp32
    func frames(_ domain: String, index: Int, lists: [String]) throws -> [TrainingFrame] {
      guard let labels else {
        return try FolderDataset.frames(data: data, reconstructions: reconstructions, domain: domain, index: index)
      }
      return try LabelFileDataset.frames(
        labels: labels, lists: lists, data: data, reconstructions: reconstructions, domain: domain, index: index)
    }
    let sources = try sourceNames.enumerated().map { d, name in
      try frames(name, index: d, lists: LabelFileDataset.sourceLists)
    }
    let validation = try frames(target, index: 0, lists: LabelFileDataset.targetLists)
    let model =
      if let vit, let resnet {
        try OANet(pretrainedViT: vit, resnet: resnet, config: modelConfig, seed: seed)
      } else {
        try OANet(config: modelConfig, seed: seed)
      }
    let trainer = try Trainer(
      model: model, discriminator: DomainDiscriminator(config: model.config, seed: seed &+ 1), sources: sources,
      validation: validation, options: options, output: out, resume: resume)
    let terminal = isatty(STDERR_FILENO) == 1
    trainer.onProgress = { line in
      // A terminal gets one line rewritten in place; a log file gets every line.
      FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }
    let progress = try trainer.run()
    if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    let best = progress.bestHTER.map { String(format: "%.4f at iteration %d", $0, progress.bestIteration ?? 0) } ?? "-"
    print("trained \(progress.iteration) iterations; best validation HTER \(best); outputs in \(out)")
  }
}
