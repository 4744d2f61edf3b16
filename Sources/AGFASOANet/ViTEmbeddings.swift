import AGFASEngine
import AGFASNN

/// transformers `ViTEmbeddings`: non-overlapping patches projected by a strided conv
/// (`patch_embeddings.projection`), the learned `cls_token` in front, learned
/// `position_embeddings` added. Dropout is 0 in every supported config.
public struct ViTEmbeddings: Sendable {
  public let config: ViTConfig
  public let clsToken: Parameter
  public let positionEmbeddings: Parameter
  public let projection: Conv2d

  public init(_ path: WeightPath, config: ViTConfig) {
    self.config = config
    let h = config.hiddenSize
    // transformers draws both from a (truncated) normal of std 0.02; pretrained weights replace them.
    clsToken = path.normalParameter("cls_token", [1, 1, h], std: 0.02)
    positionEmbeddings = path.normalParameter("position_embeddings", [1, config.sequenceLength, h], std: 0.02)
    projection = Conv2d(
      path.child("patch_embeddings").child("projection"), inChannels: config.numChannels, outChannels: h,
      kernel: config.patchSize, stride: config.patchSize)
  }

  /// `pixels` [B,3,S,S] with S = image_size -> tokens [B, 1 + (S/P)^2, hidden].
  public func callAsFunction(_ pixels: Tensor) throws -> Tensor {
    let s = config.imageSize
    guard pixels.rank == 4, pixels.shape[1] == config.numChannels, pixels.shape[2] == s, pixels.shape[3] == s else {
      throw OANetError.input("ViT embeddings expect [B,\(config.numChannels),\(s),\(s)], got \(pixels.shape)")
    }
    // Channels-last in and out: the patch grid is then already the token matrix.
    let patches = try projection(pixels.channelsLast()).imageTokens()
    let b = pixels.shape[0]
    let cls = try clsToken.value.expanded(to: [b, 1, config.hiddenSize])
    return try Tensor.concat([cls, patches], axis: 1) + positionEmbeddings.value
  }
}
