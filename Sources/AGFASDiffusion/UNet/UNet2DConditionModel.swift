import AGFASEngine
import AGFASNN

/// diffusers 0.16.1 `UNet2DConditionModel` (the Stable Diffusion 1.x family): predicts the
/// noise in `sample` at a timestep, conditioned on `encoderHiddenStates` through
/// cross-attention. Parameter paths equal the diffusers state-dict keys.
///
/// Computes in the sample's dtype (fp32 or bf16; fp32 weights are converted once and cached
/// by the layers). Activations stay channels-last between convolutions. Run inference under
/// `withoutGrad`; with recording on, the forward is differentiable.
public struct UNet2DConditionModel: Sendable {
  public let config: UNetConfig
  public let convIn: Conv2d
  public let timeProj: Timesteps
  public let timeEmbedding: TimestepEmbedding
  public let downBlocks: [UNetDownBlock]
  public let midBlock: UNetMidBlock2DCrossAttn?
  public let upBlocks: [UNetUpBlock]
  public let convNormOut: GroupNorm
  public let convOut: Conv2d

  /// Builds the model `config` describes under `path`; throws for configs it does not support.
  public init(_ path: WeightPath, config: UNetConfig) throws {
    let r = try config.resolved()
    let channels = config.blockOutChannels
    let (groups, eps, temb) = (r.groups, config.normEps, r.timeEmbeddingDim)
    self.config = config
    convIn = Conv2d(
      path.child("conv_in"), inChannels: config.inChannels, outChannels: channels[0], kernel: config.convInKernel,
      padding: (config.convInKernel - 1) / 2)
    timeProj = Timesteps(
      channels: channels[0], flipSinToCos: config.flipSinToCos, downscaleFreqShift: config.freqShift)
    timeEmbedding = TimestepEmbedding(path.child("time_embedding"), inChannels: channels[0], timeEmbeddingDim: temb)
    /// The transformers' settings of down block `block` (up blocks mirror them).
    func attention(_ block: Int) -> UNetAttentionSettings {
      UNetAttentionSettings(
        heads: r.heads[block], crossAttentionDim: r.crossAttentionDims[block],
        useLinearProjection: config.useLinearProjection, onlyCrossAttention: r.onlyCrossAttention[block])
    }
    let last = channels.count - 1
    downBlocks = r.down.enumerated().map { i, kind in
      UNetDownBlock(
        path.child("down_blocks").child(i), inChannels: channels[max(i - 1, 0)], outChannels: channels[i],
        timeEmbeddingDim: temb, layers: r.layers[i], groups: groups, eps: eps,
        attention: kind == .crossAttention ? attention(i) : nil, addDownsample: i < last,
        downsamplePadding: config.downsamplePadding)
    }
    midBlock =
      r.hasMidBlock
      ? UNetMidBlock2DCrossAttn(
        path.child("mid_block"), channels: channels[last], timeEmbeddingDim: temb, groups: groups, eps: eps,
        outputScaleFactor: config.midBlockScaleFactor, attention: attention(last))
      : nil
    // Up block i mirrors down block last - i.
    upBlocks = r.up.enumerated().map { i, kind in
      let mirror = last - i
      return UNetUpBlock(
        path.child("up_blocks").child(i), inChannels: channels[max(mirror - 1, 0)], outChannels: channels[mirror],
        previousChannels: channels[min(mirror + 1, last)], timeEmbeddingDim: temb, layers: r.layers[mirror] + 1,
        groups: groups, eps: eps, attention: kind == .crossAttention ? attention(mirror) : nil,
        addUpsample: i < last)
    }
    convNormOut = GroupNorm(path.child("conv_norm_out"), groups: groups, channels: channels[0], eps: eps)
    convOut = Conv2d(
      path.child("conv_out"), inChannels: channels[0], outChannels: config.outChannels,
      kernel: config.convOutKernel, padding: (config.convOutKernel - 1) / 2)
  }

  /// The noise prediction for `sample` [B, in_channels, H, W] at one `timestep` for the
  /// whole batch; `encoderHiddenStates` [B, S, cross_attention_dim]. Returns [B, out_channels,
  /// H, W] in the sample's layout and dtype.
  public func callAsFunction(_ sample: Tensor, timestep: Float, encoderHiddenStates: Tensor) throws -> Tensor {
    try forward(sample, timesteps: [timestep], context: encoderHiddenStates)
  }

  /// As above with a timestep per sample (`timestep` [B]), or one for all ([] or [1]).
  public func callAsFunction(_ sample: Tensor, timestep: Tensor, encoderHiddenStates: Tensor) throws -> Tensor {
    guard timestep.rank <= 1 else {
      throw TensorError.rank(op: "UNet2DConditionModel", shape: timestep.shape, expected: "timesteps [B] or a scalar")
    }
    return try forward(sample, timesteps: timestep.toArray(), context: encoderHiddenStates)
  }

  private func forward(_ sample: Tensor, timesteps: [Float], context contextIn: Tensor) throws -> Tensor {
    try checkInputs(sample, timesteps: timesteps, context: contextIn)
    let batch = sample.shape[0]
    let dtype = sample.dtype
    let context = contextIn.converted(to: dtype)
    // 1. time: the sinusoidal embedding is fp32; the layers after it run in the model's dtype.
    let perSample = timesteps.count == 1 ? Array(repeating: timesteps[0], count: batch) : timesteps
    let emb = try timeEmbedding(timeProj(perSample).converted(to: dtype))
    // 2. pre-process
    var h = try convIn(config.centerInputSample ? sample * 2 - 1 : sample)
    // 3. down, keeping every state the up path concatenates back
    var skips = [h]
    for block in downBlocks {
      let (out, states) = try block(h, timeEmbedding: emb, context: context)
      h = out
      skips += states
    }
    // 4. mid
    if let midBlock { h = try midBlock(h, timeEmbedding: emb, context: context) }
    // 5. up, each block taking the newest skip states
    for block in upBlocks {
      let n = block.resnets.count
      h = try block(h, skips: Array(skips.suffix(n)), timeEmbedding: emb, context: context)
      skips.removeLast(n)
    }
    // 6. post-process
    let out = try convOut(convNormOut(h).silu())
    return try out.relaid(sample.layout)
  }

  /// Every transformer, down to up.
  public var transformers: [Transformer2DModel] {
    downBlocks.flatMap(\.attentions) + (midBlock?.attentions ?? []) + upBlocks.flatMap(\.attentions)
  }

  private func checkInputs(_ sample: Tensor, timesteps: [Float], context: Tensor) throws {
    let op = "UNet2DConditionModel"
    guard sample.rank == 4, sample.shape[1] == config.inChannels else {
      throw TensorError.shapeMismatch(
        op: op, shapes: [sample.shape], reason: "sample must be [B, \(config.inChannels), H, W]")
    }
    // diffusers forwards explicit upsample sizes for other sizes; this implementation does not.
    let factor = 1 << upBlocks.filter { $0.upsampler != nil }.count
    guard sample.shape[2] % factor == 0, sample.shape[3] % factor == 0 else {
      throw TensorError.invalidArgument(
        op: op, reason: "sample height and width \(sample.shape[2])x\(sample.shape[3]) must be multiples of \(factor)")
    }
    let widths = Set(transformers.flatMap(\.transformerBlocks).map { $0.attn2.toK.weight.shape[1] })
    guard context.rank == 3, context.shape[0] == sample.shape[0], widths.allSatisfy({ $0 == context.shape[2] }) else {
      throw TensorError.shapeMismatch(
        op: op, shapes: [sample.shape, context.shape],
        reason: "encoderHiddenStates must be [B, S, \(widths.sorted())] for a sample of batch B")
    }
    guard timesteps.count == 1 || timesteps.count == sample.shape[0] else {
      throw TensorError.invalidArgument(
        op: op, reason: "\(timesteps.count) timesteps for a batch of \(sample.shape[0]): give one or one per sample")
    }
  }
}
