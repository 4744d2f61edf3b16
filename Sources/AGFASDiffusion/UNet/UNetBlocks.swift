import AGFASEngine
import AGFASNN

/// What a UNet block's transformers need: heads, context width and projection style.
public struct UNetAttentionSettings: Sendable {
  public var heads: Int
  public var crossAttentionDim: Int
  public var useLinearProjection: Bool
  public var onlyCrossAttention: Bool

  /// The transformer for a block of `channels` channels (diffusers: `heads` heads of
  /// `channels / heads` features).
  func transformer(_ path: WeightPath, channels: Int, groups: Int) -> Transformer2DModel {
    Transformer2DModel(
      path, channels: channels, heads: heads, dimHead: channels / heads, crossAttentionDim: crossAttentionDim,
      groups: groups, useLinearProjection: useLinearProjection, onlyCrossAttention: onlyCrossAttention)
  }
}

/// diffusers `CrossAttnDownBlock2D` (a transformer after each resnet) or `DownBlock2D` (no
/// `attentions`), with an optional stride-2 `downsamplers.0`.
public struct UNetDownBlock: Sendable {
  public let resnets: [ResnetBlock2D]
  public let attentions: [Transformer2DModel]
  public let downsampler: Downsample2D?

  /// `attention`: nil for DownBlock2D.
  public init(
    _ path: WeightPath, inChannels: Int, outChannels: Int, timeEmbeddingDim: Int, layers: Int, groups: Int, eps: Float,
    attention: UNetAttentionSettings?, addDownsample: Bool, downsamplePadding: Int
  ) {
    resnets = (0..<layers).map {
      ResnetBlock2D(
        path.child("resnets").child($0), inChannels: $0 == 0 ? inChannels : outChannels, outChannels: outChannels,
        timeEmbeddingChannels: timeEmbeddingDim, groups: groups, eps: eps)
    }
    attentions = (0..<(attention == nil ? 0 : layers)).map {
      attention!.transformer(path.child("attentions").child($0), channels: outChannels, groups: groups)
    }
    downsampler =
      addDownsample
      ? Downsample2D(path.child("downsamplers").child(0), channels: outChannels, padding: downsamplePadding) : nil
  }

  /// The block's output and the states it leaves for the up path (one per resnet, plus the
  /// downsampled output).
  public func callAsFunction(_ x: Tensor, timeEmbedding: Tensor, context: Tensor) throws -> (Tensor, [Tensor]) {
    var h = x
    var skips: [Tensor] = []
    for (i, resnet) in resnets.enumerated() {
      h = try resnet.segment(h, timeEmbedding: timeEmbedding)
      if !attentions.isEmpty { h = try attentions[i].segment(h, context: context) }
      skips.append(h)
    }
    if let downsampler {
      h = try downsampler(h)
      skips.append(h)
    }
    return (h, skips)
  }
}

/// diffusers `UNetMidBlock2DCrossAttn`: resnet, then (transformer, resnet) per layer.
public struct UNetMidBlock2DCrossAttn: Sendable {
  public let resnets: [ResnetBlock2D]
  public let attentions: [Transformer2DModel]

  public init(
    _ path: WeightPath, channels: Int, timeEmbeddingDim: Int, groups: Int, eps: Float, outputScaleFactor: Float,
    attention: UNetAttentionSettings, layers: Int = 1
  ) {
    resnets = (0...layers).map {
      ResnetBlock2D(
        path.child("resnets").child($0), inChannels: channels, outChannels: channels,
        timeEmbeddingChannels: timeEmbeddingDim, groups: groups, eps: eps, outputScaleFactor: outputScaleFactor)
    }
    // diffusers builds the mid transformers without only_cross_attention.
    var settings = attention
    settings.onlyCrossAttention = false
    attentions = (0..<layers).map {
      settings.transformer(path.child("attentions").child($0), channels: channels, groups: groups)
    }
  }

  public func callAsFunction(_ x: Tensor, timeEmbedding: Tensor, context: Tensor) throws -> Tensor {
    var h = try resnets[0].segment(x, timeEmbedding: timeEmbedding)
    for (attention, resnet) in zip(attentions, resnets.dropFirst()) {
      h = try resnet.segment(attention.segment(h, context: context), timeEmbedding: timeEmbedding)
    }
    return h
  }
}

/// diffusers `CrossAttnUpBlock2D` (a transformer after each resnet) or `UpBlock2D` (no
/// `attentions`): each resnet first takes the latest skip state, concatenated on channels,
/// and an optional `upsamplers.0` doubles the size at the end.
public struct UNetUpBlock: Sendable {
  public let resnets: [ResnetBlock2D]
  public let attentions: [Transformer2DModel]
  public let upsampler: Upsample2D?

  /// `inChannels`: the width of the deepest skip this block takes (the matching down
  /// block's input); `previousChannels`: the width arriving from below.
  public init(
    _ path: WeightPath, inChannels: Int, outChannels: Int, previousChannels: Int, timeEmbeddingDim: Int, layers: Int,
    groups: Int, eps: Float, attention: UNetAttentionSettings?, addUpsample: Bool
  ) {
    resnets = (0..<layers).map { i in
      let skipChannels = i == layers - 1 ? inChannels : outChannels
      let resnetIn = i == 0 ? previousChannels : outChannels
      return ResnetBlock2D(
        path.child("resnets").child(i), inChannels: resnetIn + skipChannels, outChannels: outChannels,
        timeEmbeddingChannels: timeEmbeddingDim, groups: groups, eps: eps)
    }
    attentions = (0..<(attention == nil ? 0 : layers)).map {
      attention!.transformer(path.child("attentions").child($0), channels: outChannels, groups: groups)
    }
    upsampler = addUpsample ? Upsample2D(path.child("upsamplers").child(0), channels: outChannels) : nil
  }

  /// `skips`: this block's skip states, oldest first (one per resnet; the last is used first).
  public func callAsFunction(_ x: Tensor, skips: [Tensor], timeEmbedding: Tensor, context: Tensor) throws -> Tensor {
    guard skips.count == resnets.count else {
      throw TensorError.invalidArgument(
        op: "UNetUpBlock", reason: "needs \(resnets.count) skip states, got \(skips.count)")
    }
    var h = x
    for (i, resnet) in resnets.enumerated() {
      let joined = try Tensor.concat([h, skips[skips.count - 1 - i]], axis: 1)
      h = try resnet.segment(joined, timeEmbedding: timeEmbedding)
      if !attentions.isEmpty { h = try attentions[i].segment(h, context: context) }
    }
    return try upsampler.map { try $0(h) } ?? h
  }
}

// Each resnet and transformer is one segment of activation checkpointing (diffusers'
// granularity); outside `ActivationCheckpointing.run` a segment is a plain call.
extension ResnetBlock2D {
  func segment(_ x: Tensor, timeEmbedding: Tensor) throws -> Tensor {
    try ActivationCheckpointing.segment([x, timeEmbedding]) { try self($0[0], timeEmbedding: $0[1]) }
  }
}

extension Transformer2DModel {
  func segment(_ x: Tensor, context: Tensor) throws -> Tensor {
    try ActivationCheckpointing.segment([x, context]) { try self($0[0], context: $0[1]) }
  }
}
