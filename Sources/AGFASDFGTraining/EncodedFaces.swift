import AGFASDFG
import AGFASEngine
import Foundation

/// The frozen part of every training face, computed once: the VAE posterior (mean and std of
/// the latents) and the ArcFace identity tokens, exactly as reconstruction builds them. A step
/// then draws its latents `(mean + std * n) * scaling_factor` without running the VAE encoder
/// or ArcFace again: the same distribution diffusers' script samples by encoding every step.
public struct EncodedFaces: Sendable {
  public let mean: [Tensor]
  public let std: [Tensor]
  public let condition: [Tensor]
  public let scalingFactor: Float

  public var count: Int { mean.count }

  /// Encodes `faces` in batches of `batch`, in the pipeline's precision (results fp32);
  /// `progress(done, total)` after each batch.
  public init(
    _ faces: [FaceSet.Face], set: FaceSet, pipeline: DFGPipeline, batch: Int = 8,
    progress: (Int, Int) -> Void = { _, _ in }
  ) throws {
    var (mean, std, condition) = ([Tensor](), [Tensor](), [Tensor]())
    for start in stride(from: 0, to: faces.count, by: max(batch, 1)) {
      let chunk = Array(faces[start..<min(start + max(batch, 1), faces.count)])
      let (x, _) = try set.tensor(chunk)
      try withoutGrad {
        let face = x.converted(to: pipeline.precision)
        let posterior = try pipeline.vae.encode(face)
        let tokens = try pipeline.identity.condition(face).converted(to: .float32)
        let (m, s) = (posterior.mean.converted(to: .float32), posterior.std.converted(to: .float32))
        for i in 0..<chunk.count {
          mean.append(try m.sliced(axis: 0, range: i..<(i + 1)).contiguous())
          std.append(try s.sliced(axis: 0, range: i..<(i + 1)).contiguous())
          condition.append(try tokens.sliced(axis: 0, range: i..<(i + 1)).contiguous())
        }
      }
      progress(mean.count, faces.count)
    }
    self.mean = mean
    self.std = std
    self.condition = condition
    scalingFactor = Float(pipeline.vae.config.scalingFactor)
  }

  /// Latents and condition of faces `indices`, with the posterior noise `noise` [B, C, h, w].
  public func batch(_ indices: [Int], posteriorNoise noise: Tensor) throws -> (z0: Tensor, context: Tensor) {
    let m = try Tensor.concat(indices.map { mean[$0] }, axis: 0)
    let s = try Tensor.concat(indices.map { std[$0] }, axis: 0)
    let context = try Tensor.concat(indices.map { condition[$0] }, axis: 0)
    return (try (m + s * noise) * scalingFactor, context)
  }

  /// The latent shape of one face [1, C, h, w].
  public var latentShape: [Int] { mean.first?.shape ?? [] }
}
