import AGFASEngine
import AGFASNN
import AGFASOANet
import AGFASTraining

/// Full-size OA-Net (ViT-B/16 + ResNet-18, random weights) timing (`agfas bench oanet`).
public enum OANetBenchmark {
  /// Approximate work per 256x256 face (GFLOP, 2 per multiply-add), the same number the
  /// PyTorch script divides by: ViT-B/16 at 224 ~35, its 12 cross-attentions to 64 cue
  /// tokens ~7, ResNet-18 on the 256x256 cue ~5. A train step counts 3 forwards.
  static let gflopPerFace = 47.0

  /// The SSDG batch the train step uses: 3 source domains x (2 live + 2 spoof).
  public static let labels = [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]
  public static let domains = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]

  /// Times the eval forward at batch 1 and 16 and one SSDG train step at batch 12 (forward,
  /// all losses, backward, SGD) in each dtype; bf16 trains with fp32 master weights.
  public static func run(dtypes: [DType], repeats: Int, log: (String) -> Void) throws -> [BenchResult] {
    log("building OA-Net (ViT-B/16 + ResNet-18) and its discriminator with random weights")
    let model = try OANet(config: .reference, initialization: .fast)
    let discriminator = try DomainDiscriminator(initialization: .fast)
    let gen = TorchGenerator(seed: 0)
    func input(_ batch: Int) throws -> Tensor {
      let face = try gen.randn([batch, 3, 256, 256]).clamped(min: -1, max: 1)
      let reconstruction = try (face + gen.randn([batch, 3, 256, 256]) * 0.1).clamped(min: -1, max: 1)
      return try AnomalousCue.input(image: face, reconstruction: reconstruction)
    }
    var results: [BenchResult] = []
    func record(_ op: String, _ dtype: DType, faces: Double, _ seconds: Double) {
      let r = BenchResult(
        op: op, dtype: dtype == .float32 ? "fp32" : "bf16", seconds: seconds, gflop: faces * gflopPerFace)
      log(String(format: "  %@ %@: %.3f s", op, r.dtype, seconds))
      results.append(r)
    }
    for dtype in dtypes {
      model.store.convert(to: dtype)
      try withoutGrad {
        for batch in [1, 16] {
          let x = try input(batch).converted(to: dtype)
          record(
            "forward b\(batch)", dtype, faces: Double(batch), try medianSeconds(repeats: repeats) { _ = try model(x) })
        }
      }
      let x = try input(labels.count)
      let step = try TrainStep(model: model, discriminator: discriminator, computeIn: dtype)
      record(
        "train step b12", dtype, faces: Double(3 * labels.count),
        try medianSeconds(repeats: repeats) {
          try step(x, generator: gen)
        })
    }
    model.store.convert(to: .float32)
    return results
  }
}

/// One SSDG iteration as `agfas train` runs it (`SSDGUpdate`), with a check that the work
/// was all done: every trainable but ViT's unused pooler got a gradient.
struct TrainStep {
  let update: SSDGUpdate
  let reversal = DomainDiscriminator.reversalCoefficient(iteration: 200)

  init(model: OANet, discriminator: DomainDiscriminator, computeIn dtype: DType) throws {
    model.store.convert(to: .float32)
    discriminator.store.convert(to: .float32)
    let optimizer = try SGD(
      parameters: model.store.trainable + discriminator.store.trainable, learningRate: 1e-3, momentum: 0.9,
      weightDecay: 5e-4)
    update = SSDGUpdate(
      model: model, discriminator: discriminator, optimizer: optimizer, precision: TrainingPrecision(computeType: dtype)
    )
  }

  func callAsFunction(_ x: Tensor, generator: TorchGenerator) throws {
    let (_, updated) = try update(
      x, labels: OANetBenchmark.labels, domains: OANetBenchmark.domains, reversal: reversal,
      dropout: .random(generator))
    guard updated == update.optimizer.parameters.count - 2 else {
      throw TensorError.invalidArgument(
        op: "bench oanet train step",
        reason: "only \(updated) of \(update.optimizer.parameters.count) parameters got a gradient")
    }
  }
}
