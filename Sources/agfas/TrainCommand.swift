import AGFASEngine
import AGFASNN
import AGFASOANet
import AGFASTraining
import ArgumentParser
import Foundation

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train OA-Net with SSDG on three source domains, validating on a fourth (docs/method.md §5).",
    discussion: """
      Data follow the folder convention <data>/<domain>/{live,spoof}/<video>/<frame>.png, with \
      each frame's reconstruction at the same relative path under --reconstructions. Every \
      frame there is used, unless --labels names reference label files (agfas labels --layout \
      folders): then sources train on choose_real/choose_fake and the target validates on \
      choose_all. Every \
      iteration takes --per-class live and spoof frames from each source domain (mirrored \
      with p = 0.5, face and reconstruction together); the loss is CE + 1.0 triplet + 0.5 \
      adversarial; SGD momentum 0.9, weight decay 5e-4, lr warms up linearly over the first \
      10% of the iterations, then decays by a cosine to 0.

      The backbone and the cue encoder's conv1..layer3 start from the pretrained weights \
      (docs/method.md §4): the models folder's (`agfas models fetch oanet-init`), or --vit and \
      --resnet; with --random-init every weight starts from the seeded PyTorch-style random \
      initialisation (for tests and experiments, not for the paper's numbers).

      --protocol all runs every leave-one-out split of the domains (M,C,I,O, the authors' \
      order, gives C,I,O-M, M,I,O-C, M,C,O-I and M,C,I-O), one after another, each in its \
      own OUT/<split> folder, \
      then prints the table of best HTERs and writes OUT/summary.json; with --resume a \
      finished split is kept and an interrupted one continues.

      OUT receives checkpoint.safetensors (whole run state, resumable with --resume; the \
      result is bit-identical to an uninterrupted run), best.safetensors (the model with the \
      lowest validation HTER, loadable by predict), log.jsonl (per-iteration losses, lr and \
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
  @Option(
    help:
      "Shorthand for --train and --target: SOURCES-TARGET, e.g. O,C,I-M; or 'all': every leave-one-out split of --domains, one after another, each in OUT/<split> (e.g. OUT/CIO-M), with OUT/summary.json."
  )
  var `protocol`: String?
  @Option(help: "Domains of --protocol all, comma-separated (default: the folders under --labels or --data, sorted).")
  var domains: String?
  @Option(help: "Output folder for checkpoints and the log.")
  var out: String
  // Numbers use .unconditional parsing: "--iterations -5" is read and refused by validate()
  // naming the option and the value, not taken for a missing value.
  @Option(parsing: .unconditional, help: "Training iterations.")
  var iterations = 4000
  @Option(parsing: .unconditional, help: "Validate on the target domain every this many iterations (0: never).")
  var validateEvery = 10
  @Option(parsing: .unconditional, help: "Save the resumable checkpoint every this many iterations.")
  var checkpointEvery = 100
  @Option(parsing: .unconditional, help: "Live and spoof frames per source domain per iteration.")
  var perClass = 10
  @Option(parsing: .unconditional, help: "Peak learning rate.")
  var learningRate: Float = 1e-3
  @Option(parsing: .unconditional, help: "Seed of the initialisation, sampling, flips and dropout.")
  var seed: UInt64 = 0
  @Option(
    help:
      "fp32, bf16 (bf16 compute over fp32 master weights; about 1.7x faster where native) or auto; \(autoPrecisionHelp)."
  )
  var precision = "fp32"
  @Flag(help: "Continue the run in --out from its last checkpoint.")
  var resume = false
  @Option(help: "transformers ViT folder for the backbone (default: <models>/vit-base-patch16-224-in21k).")
  var vit: String?
  @Option(help: "torchvision resnet18 .pth for the cue encoder (default: <models>/resnet18-f37072fd.pth).")
  var resnet: String?
  @Option(help: "The models folder (default: $AGFAS_HOME/models, else ~/.cache/agfas/models).")
  var models: String?
  @Flag(help: "Start from PyTorch-style random weights instead of the pretrained ViT and ResNet-18.")
  var randomInit = false
  @Option(help: "OA-Net config JSON (OANetConfig keys); default the reference's sizes.")
  var config: String?

  func validate() throws {
    for (option, value) in [
      ("--iterations", iterations), ("--checkpoint-every", checkpointEvery), ("--per-class", perClass),
    ]
    where value < 1 {
      throw ValidationError("\(option) must be at least 1, not \(value)")
    }
    guard validateEvery >= 0 else {
      throw ValidationError("--validate-every must be 0 (never) or more, not \(validateEvery)")
    }
    guard learningRate.isFinite, learningRate > 0 else {
      throw ValidationError("--learning-rate must be a finite number above 0, not \(learningRate)")
    }
    guard (vit == nil) == (resnet == nil) else { throw ValidationError("--vit and --resnet go together") }
    guard !randomInit || vit == nil else { throw ValidationError("--random-init excludes --vit and --resnet") }
    guard domains == nil || self.protocol == "all" else { throw ValidationError("--domains goes with --protocol all") }
    try validatePrecision(precision)
    if self.protocol != "all" { _ = try splits() }
  }

  /// The ViT folder and ResNet file to start from: the flags, else the models folder's (which
  /// `agfas models fetch oanet-init` fills); nil with --random-init.
  func pretrainedWeights() throws -> (String, String)? {
    if randomInit { return nil }
    if let vit, let resnet { return (vit, resnet) }
    let folder = modelsFolder(models)
    try folder.requireSets(["oanet-init"], purpose: "training from the pretrained ViT and ResNet-18 (or --random-init)")
    return (folder.location(ofItem: "vit")!, folder.location(ofItem: "resnet18")!)
  }

  /// The runs to make: one split from --protocol or --train/--target, or every leave-one-out
  /// split of the domains for --protocol all.
  func splits() throws -> [DomainSplit] {
    switch (self.protocol, train, self.target) {
    case ("all", nil, nil):
      return try DomainSplit.leaveOneOut(domains.map(DomainSplit.names) ?? domainFolders())
    case (let p?, nil, nil): return [try DomainSplit(protocol: p)]
    case (nil, let t?, let g?): return [try DomainSplit(sources: DomainSplit.names(t), target: g)]
    default: throw ValidationError("give either --protocol, or --train and --target")
    }
  }

  /// The domains under --labels (when given) or --data: their sub-folders, sorted.
  func domainFolders() throws -> [String] {
    let root = labels ?? data
    let names = try FileManager.default.contentsOfDirectory(atPath: root).filter { name in
      var isFolder: ObjCBool = false
      return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isFolder)
        && isFolder.boolValue
    }
    return names.sorted()
  }

  func run() throws {
    let splits = try self.splits()
    let computeType = try precisionType(precision)
    let all = self.protocol == "all"
    if all { print("leave-one-out, \(splits.count) runs: \(splits.map(\.description).joined(separator: "  "))") }
    var results: [[String: Any]] = []
    for split in splits {
      let folder = all ? out + "/" + split.folderName : out
      let progress = try train(split, out: folder, computeType: computeType)
      let best =
        progress.bestHTER.map { String(format: "%.4f at iteration %d", $0, progress.bestIteration ?? 0) } ?? "-"
      print("\(split): trained \(progress.iteration) iterations; best validation HTER \(best); outputs in \(folder)")
      results.append(try Self.summary(split, progress: progress, folder: folder))
    }
    guard all else { return }
    print("protocol      best HTER  best AUC  best HTER at iteration")
    for r in results {
      let f = { (key: String) in (r[key] as? Double).map { String(format: "%.4f", $0) } ?? "-" }
      print(
        (r["protocol"] as! String).padding(toLength: 14, withPad: " ", startingAt: 0)
          + f("best_hter").padding(toLength: 11, withPad: " ", startingAt: 0)
          + f("best_auc").padding(toLength: 10, withPad: " ", startingAt: 0) + "\(r["best_iteration"] ?? "-")")
    }
    let json = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
    try json.write(to: URL(fileURLWithPath: out + "/summary.json"), options: .atomic)
    print("summary in \(out)/summary.json")
  }

  /// A split's outcome as the authors' train.py reports it: the best validation HTER and,
  /// tracked on its own, the best AUC; with the iteration of the best HTER (the latest of a
  /// tie, whose model is best.safetensors) and the AUC there.
  static func summary(_ split: DomainSplit, progress: TrainingProgress, folder: String) throws -> [String: Any] {
    var r: [String: Any] = [
      "protocol": split.description, "folder": folder, "iterations": progress.iteration,
    ]
    if let hter = progress.bestHTER, let at = progress.bestIteration {
      r["best_hter"] = hter
      r["best_iteration"] = at
      let log = try TrainingLog.read(folder + "/log.jsonl")
      r["auc_at_best_hter"] = log.first { $0["iteration"] as? Int == at }?["val_auc"]
      r["best_auc"] = log.compactMap { $0["val_auc"] as? Double }.max()
    }
    return r
  }

  /// Trains one split into `out` (resuming when --resume) and returns where it ended.
  func train(_ split: DomainSplit, out: String, computeType: DType) throws -> TrainingProgress {
    let (sourceNames, target) = (split.sources, split.target)
    var modelConfig = try config.map(OANetPredictor.readConfig) ?? .reference
    modelConfig.numDomains = sourceNames.count
    var options = TrainingOptions()
    options.iterations = iterations
    options.validateEvery = validateEvery
    options.checkpointEvery = checkpointEvery
    options.perClass = perClass
    options.learningRate = learningRate
    options.seed = seed
    options.precision = TrainingPrecision(computeType: computeType)
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
      if let (vit, resnet) = try pretrainedWeights() {
        try OANet(pretrainedViT: vit, resnet: resnet, config: modelConfig, seed: seed)
      } else {
        try OANet(config: modelConfig, seed: seed)
      }
    let trainer = try Trainer(
      model: model, discriminator: DomainDiscriminator(config: model.config, seed: seed &+ 1), sources: sources,
      validation: validation, options: options, output: out, resume: resume)
    let status = StatusLine()
    trainer.onProgress = { status.show($0) }
    let progress = try trainer.run()
    status.end()
    return progress
  }
}
