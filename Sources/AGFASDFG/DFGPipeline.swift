import AGFASCheckpoint
import AGFASDiffusion
import AGFASEngine
import AGFASNN
import Foundation

/// The DFG reconstruction (docs/method.md §2): a face in, its "real" re-drawing out.
///
/// identity tokens <- ArcFace(face); z0 <- VAE.encode(face).sample * scaling;
/// z <- add_noise(z0, t_start); 41 PNDM steps of the identity-conditioned UNet; decode.
public final class DFGPipeline: @unchecked Sendable {
  public let unet: UNet2DConditionModel
  public let vae: AutoencoderKL
  public let identity: ArcFaceIdentity
  public let schedulerConfig: SchedulerConfig
  /// Element type the networks compute in (the scheduler always runs in fp32, as under autocast).
  public let precision: DType
  /// The UNet's and VAE's parameters when the pipeline was loaded from files (fine-tuning
  /// trains the UNet's, adapters find its linear layers there); nil when built from parts.
  public let unetParameters: ParameterStore?
  public let vaeParameters: ParameterStore?

  /// Knobs of one reconstruction; the defaults are the reference's.
  public struct Options: Sendable {
    /// The noise level the reconstruction starts from: the first scheduler timestep <= strength.
    public var strength = 801
    public var steps = 50
    /// "pndm" or "ddim"; nil: the scheduler config's own class.
    public var scheduler: String? = nil

    public init(strength: Int = 801, steps: Int = 50, scheduler: String? = nil) {
      self.strength = strength
      self.steps = steps
      self.scheduler = scheduler
    }
  }

  public init(
    unet: UNet2DConditionModel, vae: AutoencoderKL, identity: ArcFaceIdentity, schedulerConfig: SchedulerConfig,
    precision: DType = .float32, unetParameters: ParameterStore? = nil, vaeParameters: ParameterStore? = nil
  ) {
    self.unet = unet
    self.vae = vae
    self.identity = identity
    self.schedulerConfig = schedulerConfig
    self.precision = precision
    self.unetParameters = unetParameters
    self.vaeParameters = vaeParameters
  }

  /// Loads the released files (diffusers/PyTorch formats, as they are). Every config is read
  /// and checked (bounds, duplicate keys, scheduler betas) before any weight is allocated or
  /// read, so a bad file is one error naming it.
  public static func load(_ paths: DFGModelPaths, precision: DType = .float32) throws -> DFGPipeline {
    try paths.validate()
    let unetFolder = try ModelFolder(path: paths.unet)
    let vaeFolder = try ModelFolder(path: paths.vae)
    let unetConfig = try UNetConfig.load((unetFolder.path as NSString).appendingPathComponent("config.json"))
    let vaeConfig = try AutoencoderKLConfig.load((vaeFolder.path as NSString).appendingPathComponent("config.json"))
    let schedulerConfig = try SchedulerConfig.load(paths.schedulerConfig)
    let unetStore = ParameterStore(initialization: .uninitialized)
    let unet = try UNet2DConditionModel(unetStore.root(), config: unetConfig)
    // Mapped, not copied: the weights are only read, and each leaves memory once its
    // kernel-layout copy exists, so a fp32 run holds one copy of each (docs/engine.md).
    try unetStore.load(StateDict.load(path: paths.unet, mapped: true))
    let vaeStore = ParameterStore(initialization: .uninitialized)
    let vae = try AutoencoderKL(vaeConfig, vaeStore.root())
    try vae.load(StateDict.load(path: paths.vae, mapped: true))
    // The identity tokens are padded to the UNet's cross-attention width (768 for SD-1.5).
    let tokenDim: Int
    switch unetConfig.crossAttentionDim {
    case .all(let d): tokenDim = d
    case .each(let dims): tokenDim = dims.first ?? 768
    }
    let identity = try ArcFaceIdentity(path: paths.arcface, tokenDim: tokenDim)
    // Merged in fp32, before any conversion, so the sum is rounded once.
    if let lora = paths.lora { try LoRAWeights.load(lora).merge(into: unetStore, file: lora) }
    if precision != .float32 {
      unetStore.convert(to: precision)
      vaeStore.convert(to: precision)
    }
    return DFGPipeline(
      unet: unet, vae: vae, identity: identity, schedulerConfig: schedulerConfig, precision: precision,
      unetParameters: unetStore, vaeParameters: vaeStore)
  }

  /// Checks that `options` work with this pipeline's scheduler (its kind, the step count, the
  /// strength), so a run fails once up front instead of once per face or batch.
  public func check(_ options: Options) throws {
    let scheduler = try makeScheduler(schedulerConfig, kind: options.scheduler)
    try scheduler.setTimesteps(options.steps)
    guard scheduler.timesteps.contains(where: { $0 <= options.strength }) else {
      throw TensorError.invalidArgument(
        op: "DFG reconstruct", reason: "strength \(options.strength) is below every timestep")
    }
  }

  /// Reconstructs faces `x` [B,3,H,W] in [-1,1]; face i draws its two Gaussian tensors from
  /// `TorchGenerator(seed: seeds[i])` (posterior sample, then noise), exactly as the reference
  /// does after `torch.manual_seed(seeds[i])` for that face alone, so results do not depend on
  /// batching or sharding. Returns the decoded images [B,3,H,W] (unclamped, ~[-1,1]).
  /// `progress(done, total)` is called after each UNet step; an error it throws stops the run.
  public func reconstruct(
    _ x: Tensor, seeds: [UInt64], options: Options = Options(), progress: (Int, Int) throws -> Void = { _, _ in }
  ) throws -> Tensor {
    guard x.rank == 4, x.shape[1] == 3 else {
      throw TensorError.rank(op: "DFG reconstruct", shape: x.shape, expected: "faces [B, 3, H, W]")
    }
    guard seeds.count == x.shape[0] else {
      throw TensorError.invalidArgument(op: "DFG reconstruct", reason: "\(seeds.count) seeds for \(x.shape[0]) faces")
    }
    return try withoutGrad {
      let scheduler = try makeScheduler(schedulerConfig, kind: options.scheduler)
      try scheduler.setTimesteps(options.steps)
      let timesteps = scheduler.timesteps.filter { $0 <= options.strength }
      guard let start = timesteps.first else {
        throw TensorError.invalidArgument(
          op: "DFG reconstruct", reason: "strength \(options.strength) is below every timestep")
      }
      let face = x.converted(to: precision)
      let condition = try identity.condition(face).converted(to: precision)
      let posterior = try vae.encode(face)
      let latentShape = [1] + Array(posterior.mean.shape.dropFirst())
      let generators = seeds.map { TorchGenerator(seed: $0) }
      let sampleNoise = try Tensor.concat(generators.map { $0.randn(latentShape) }, axis: 0)
      let z0 = try posterior.sample(noise: sampleNoise).converted(to: .float32) * Float(vae.config.scalingFactor)
      let noise = try Tensor.concat(generators.map { $0.randn(latentShape) }, axis: 0)
      var z = try scheduler.addNoise(z0, noise: noise, timestep: start)
      for (i, t) in timesteps.enumerated() {
        let eps = try unet(z.converted(to: precision), timestep: Float(t), encoderHiddenStates: condition)
        z = try scheduler.step(modelOutput: eps.converted(to: .float32), timestep: t, sample: z)
        try progress(i + 1, timesteps.count)
      }
      return try vae.decode((z / Float(vae.config.scalingFactor)).converted(to: precision)).converted(to: .float32)
    }
  }
}
