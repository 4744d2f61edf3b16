/// Checking a `UNetConfig` and expanding its per-block settings, the way diffusers 0.16.1's
/// `UNet2DConditionModel.__init__` reads them.
extension UNetConfig {
  /// Throws the first value that diffusers would reject or that this implementation does not
  /// support, naming its key.
  public func validate() throws { _ = try resolved() }

  /// The settings of each block, validated.
  struct Resolved {
    var down: [UNetBlockKind]
    var up: [UNetBlockKind]
    var hasMidBlock: Bool
    /// Per down block (up blocks read them reversed).
    var layers: [Int]
    var heads: [Int]
    var crossAttentionDims: [Int]
    var onlyCrossAttention: [Bool]
    var groups: Int
    var timeEmbeddingDim: Int
  }

  func resolved() throws -> Resolved {
    try rejectOtherFamilies()
    let n = blockOutChannels.count
    guard n > 0, blockOutChannels.allSatisfy({ $0 > 0 }) else {
      throw UNetConfigError.invalid(key: "block_out_channels", reason: "must list at least one positive width")
    }
    // Bounds first: the widths below multiply into allocation sizes (docs/limits.md).
    try bound("block_out_channels", blockOutChannels.count, ConfigLimits.maxBlocks, what: "entries")
    for c in blockOutChannels { try bound("block_out_channels", c, ConfigLimits.maxChannels) }
    try bound("in_channels", inChannels, ConfigLimits.maxChannels)
    try bound("out_channels", outChannels, ConfigLimits.maxChannels)
    if let d = timeEmbeddingDim { try bound("time_embedding_dim", d, ConfigLimits.maxChannels * 4) }
    if let g = normNumGroups { try bound("norm_num_groups", g, ConfigLimits.maxNormGroups) }
    try bound("conv_in_kernel", convInKernel, ConfigLimits.maxKernel)
    try bound("conv_out_kernel", convOutKernel, ConfigLimits.maxKernel)
    guard downBlockTypes.count == n, upBlockTypes.count == n else {
      throw UNetConfigError.invalid(
        key: "down_block_types", reason: "and up_block_types need one entry per block_out_channels entry (\(n))")
    }
    guard inChannels > 0, outChannels > 0 else {
      throw UNetConfigError.invalid(key: "in_channels", reason: "and out_channels must be positive")
    }
    guard let groups = normNumGroups else {
      throw UNetConfigError.unsupported(key: "norm_num_groups", value: "null", reason: "the output norm is required")
    }
    if let bad = blockOutChannels.first(where: { groups <= 0 || $0 % groups != 0 }) {
      throw UNetConfigError.invalid(key: "norm_num_groups", reason: "= \(groups) does not divide \(bad) channels")
    }
    let r = Resolved(
      down: try downBlockTypes.map { try UNetBlockKind(down: $0) },
      up: try upBlockTypes.map { try UNetBlockKind(up: $0) },
      hasMidBlock: try midBlockType.map { try Self.checkMidBlock($0) } ?? false,
      layers: try layersPerBlock.values(n, key: "layers_per_block"),
      heads: try attentionHeadDim.values(n, key: "attention_head_dim"),
      crossAttentionDims: try crossAttentionDim.values(n, key: "cross_attention_dim"),
      onlyCrossAttention: try onlyCrossAttention.values(n, key: "only_cross_attention"),
      groups: groups,
      timeEmbeddingDim: timeEmbeddingDim ?? blockOutChannels[0] * 4)
    guard r.layers.allSatisfy({ $0 > 0 }) else {
      throw UNetConfigError.invalid(key: "layers_per_block", reason: "must be positive")
    }
    for l in r.layers { try bound("layers_per_block", l, ConfigLimits.maxLayersPerBlock) }
    for h in r.heads where h > 0 { try bound("attention_head_dim", h, ConfigLimits.maxAttentionHeads) }
    for d in r.crossAttentionDims where d > 0 { try bound("cross_attention_dim", d, ConfigLimits.maxChannels) }
    let estimate = ConfigLimits.estimatedParameters(channels: blockOutChannels, layers: r.layers)
    guard estimate <= ConfigLimits.maxEstimatedParameters else {
      throw UNetConfigError.invalid(
        key: "block_out_channels",
        reason:
          "with layers_per_block makes a model of over \(estimate) parameters; at most \(ConfigLimits.maxEstimatedParameters) are accepted (see docs/limits.md)"
      )
    }
    // Each attention block splits its channels into `heads` heads of channels / heads features.
    for (i, heads) in r.heads.enumerated() where heads <= 0 || blockOutChannels[i] / heads == 0 {
      throw UNetConfigError.invalid(
        key: "attention_head_dim", reason: "= \(heads) heads cannot split block \(i)'s \(blockOutChannels[i]) channels")
    }
    guard r.crossAttentionDims.allSatisfy({ $0 > 0 }), r.timeEmbeddingDim > 0 else {
      throw UNetConfigError.invalid(key: "cross_attention_dim", reason: "and time_embedding_dim must be positive")
    }
    guard convInKernel > 0, convInKernel % 2 == 1, convOutKernel > 0, convOutKernel % 2 == 1 else {
      throw UNetConfigError.unsupported(
        key: "conv_in_kernel", value: "\(convInKernel) / conv_out_kernel \(convOutKernel)",
        reason: "kernels must be odd to keep the size")
    }
    return r
  }

  /// Throws unless `value` lies in 1...max, naming the key.
  private func bound(_ key: String, _ value: Int, _ max: Int, what: String = "") throws {
    try ConfigLimits.check(value, max: max) { reason in
      UNetConfigError.invalid(
        key: key, reason: what.isEmpty ? reason : "has \(value) \(what); at most \(max) are accepted")
    }
  }

  /// The options of other UNet families, which only their defaults leave out of the model.
  private func rejectOtherFamilies() throws {
    func reject(_ key: String, _ value: Any?, _ reason: String) throws {
      guard let value else { return }
      throw UNetConfigError.unsupported(key: key, value: "\(value)", reason: reason)
    }
    try reject("act_fn", ["silu", "swish"].contains(actFn) ? nil : actFn, "the blocks use SiLU")
    try reject("upcast_attention", upcastAttention ? true : nil, "attention runs in the model's dtype")
    try reject("dual_cross_attention", dualCrossAttention ? true : nil, "DualTransformer2DModel is not implemented")
    try reject(
      "resnet_time_scale_shift", resnetTimeScaleShift == "default" ? nil : resnetTimeScaleShift,
      "only the \"default\" (additive) time embedding is implemented")
    try reject(
      "time_embedding_type", timeEmbeddingType == "positional" ? nil : timeEmbeddingType,
      "only sinusoidal (\"positional\") time embeddings are implemented")
    try reject("encoder_hid_dim", encoderHidDim, "no encoder_hid_proj")
    try reject("class_embed_type", classEmbedType, "no class embedding")
    try reject("num_class_embeds", numClassEmbeds, "no class embedding")
    try reject("class_embeddings_concat", classEmbeddingsConcat ? true : nil, "no class embedding")
    try reject("addition_embed_type", additionEmbedType, "no addition embedding")
    try reject("time_embedding_act_fn", timeEmbeddingActFn, "no activation after the time embedding")
    try reject("timestep_post_act", timestepPostAct, "no activation after the time embedding")
    try reject("time_cond_proj_dim", timeCondProjDim, "no timestep condition")
    try reject(
      "num_attention_heads", numAttentionHeads.map { "\($0)" },
      "a later diffusers key; 0.16.1 takes the head count from attention_head_dim")
    if let t = transformerLayersPerBlock,
      try t.values(blockOutChannels.count, key: "transformer_layers_per_block")
        .contains(where: { $0 != 1 })
    {
      throw UNetConfigError.unsupported(
        key: "transformer_layers_per_block", value: "\(t)", reason: "0.16.1 has one transformer block per attention")
    }
  }

  private static func checkMidBlock(_ type: String) throws -> Bool {
    guard type == "UNetMidBlock2DCrossAttn" else {
      throw UNetConfigError.unsupported(
        key: "mid_block_type", value: type, reason: "only UNetMidBlock2DCrossAttn (or null) is implemented")
    }
    return true
  }
}

/// Whether a down or up block has transformers after its resnets.
enum UNetBlockKind {
  /// DownBlock2D / UpBlock2D.
  case plain
  /// CrossAttnDownBlock2D / CrossAttnUpBlock2D.
  case crossAttention

  init(down type: String) throws {
    // diffusers drops a "UNetRes" prefix from block type names.
    switch type.hasPrefix("UNetRes") ? String(type.dropFirst(7)) : type {
    case "DownBlock2D": self = .plain
    case "CrossAttnDownBlock2D": self = .crossAttention
    default:
      throw UNetConfigError.unsupported(
        key: "down_block_types", value: type, reason: "only CrossAttnDownBlock2D and DownBlock2D are implemented")
    }
  }

  init(up type: String) throws {
    switch type.hasPrefix("UNetRes") ? String(type.dropFirst(7)) : type {
    case "UpBlock2D": self = .plain
    case "CrossAttnUpBlock2D": self = .crossAttention
    default:
      throw UNetConfigError.unsupported(
        key: "up_block_types", value: type, reason: "only CrossAttnUpBlock2D and UpBlock2D are implemented")
    }
  }
}
