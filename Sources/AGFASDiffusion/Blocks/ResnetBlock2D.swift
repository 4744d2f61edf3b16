import AGFASEngine
import AGFASNN

/// diffusers `ResnetBlock2D` as Stable Diffusion uses it ("default" time-embedding norm, swish,
/// no up/down sampling inside the block): GroupNorm -> SiLU -> conv3x3 (+ projected time
/// embedding) -> GroupNorm -> SiLU -> conv3x3, plus a 1x1-conv shortcut when channels change.
public struct ResnetBlock2D: Sendable {
  public let norm1: GroupNorm
  public let conv1: Conv2d
  /// nil in the VAE, which has no time embedding.
  public let timeEmbProj: Linear?
  public let norm2: GroupNorm
  public let conv2: Conv2d
  public let convShortcut: Conv2d?
  public let outputScaleFactor: Float

  public init(
    _ path: WeightPath, inChannels: Int, outChannels: Int, timeEmbeddingChannels: Int?, groups: Int = 32,
    eps: Float = 1e-6, outputScaleFactor: Float = 1
  ) {
    norm1 = GroupNorm(path.child("norm1"), groups: groups, channels: inChannels, eps: eps)
    conv1 = Conv2d(path.child("conv1"), inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1)
    timeEmbProj = timeEmbeddingChannels.map {
      Linear(path.child("time_emb_proj"), inFeatures: $0, outFeatures: outChannels)
    }
    norm2 = GroupNorm(path.child("norm2"), groups: groups, channels: outChannels, eps: eps)
    conv2 = Conv2d(path.child("conv2"), inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1)
    convShortcut =
      inChannels == outChannels
      ? nil : Conv2d(path.child("conv_shortcut"), inChannels: inChannels, outChannels: outChannels, kernel: 1)
    self.outputScaleFactor = outputScaleFactor
  }

  /// `x` [B,C,H,W]; `timeEmbedding` [B,T] (required iff the block has `time_emb_proj`).
  public func callAsFunction(_ x: Tensor, timeEmbedding: Tensor? = nil) throws -> Tensor {
    var h = try conv1(norm1(x).silu())
    if let proj = timeEmbProj {
      guard let temb = timeEmbedding else {
        throw TensorError.invalidArgument(op: "ResnetBlock2D", reason: "this block needs a time embedding")
      }
      let t = try proj(temb.silu())
      h = try h + t.reshaped([t.shape[0], t.shape[1], 1, 1])
    }
    h = try conv2(norm2(h).silu())
    let shortcut = try convShortcut.map { try $0(x) } ?? x
    let sum = try shortcut + h
    return outputScaleFactor == 1 ? sum : try sum / outputScaleFactor
  }
}
