import AGFASEngine
import AGFASNN

/// diffusers `UNetMidBlock2D` as the VAE builds it (no time embedding, one attention layer):
/// resnets.0 -> attentions.0 -> resnets.1, all at the deepest width.
public struct UNetMidBlock2D: Sendable {
  public let resnets: [ResnetBlock2D]
  public let attentions: [VAEAttention]

  public init(_ path: WeightPath, channels: Int, groups: Int, eps: Float = 1e-6) {
    resnets = (0..<2).map {
      ResnetBlock2D(
        path.child("resnets").child($0), inChannels: channels, outChannels: channels, timeEmbeddingChannels: nil,
        groups: groups, eps: eps)
    }
    attentions = [VAEAttention(path.child("attentions").child(0), channels: channels, groups: groups, eps: eps)]
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    var h = try resnets[0](x)
    for (attention, resnet) in zip(attentions, resnets.dropFirst()) {
      h = try resnet(attention(h))
    }
    return h
  }
}
