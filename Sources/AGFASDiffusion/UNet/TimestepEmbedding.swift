import AGFASEngine
import AGFASNN
import Foundation

/// diffusers `Timesteps`: the sinusoidal embedding of `get_timestep_embedding`.
///
/// Frequencies are `exp(-ln(10000) * i / (half - downscaleFreqShift))` for i < half =
/// channels / 2; the embedding is [sin(t f), cos(t f)] ([cos, sin] with `flipSinToCos`),
/// zero-padded by one column when `channels` is odd. Computed in fp32 as diffusers does.
public struct Timesteps: Sendable {
  public let channels: Int
  public let flipSinToCos: Bool
  public let downscaleFreqShift: Float

  public init(channels: Int, flipSinToCos: Bool, downscaleFreqShift: Float) {
    self.channels = channels
    self.flipSinToCos = flipSinToCos
    self.downscaleFreqShift = downscaleFreqShift
  }

  /// One row per timestep: [timesteps.count, channels], fp32.
  public func callAsFunction(_ timesteps: [Float]) throws -> Tensor {
    let half = channels / 2
    // Rounded to fp32 at each step, as torch computes the exponent tensor.
    let logPeriod = -Float(Foundation.log(10000.0))
    let denominator = Float(half) - downscaleFreqShift
    let frequencies = (0..<half).map { Foundation.exp(logPeriod * Float($0) / denominator) }
    var values = [Float](repeating: 0, count: timesteps.count * channels)
    for (row, t) in timesteps.enumerated() {
      let base = row * channels
      let (sinStart, cosStart) = flipSinToCos ? (half, 0) : (0, half)
      for (i, f) in frequencies.enumerated() {
        let angle = t * f
        values[base + sinStart + i] = Foundation.sin(angle)
        values[base + cosStart + i] = Foundation.cos(angle)
      }
    }
    return try Tensor(values, shape: [timesteps.count, channels])
  }
}

/// diffusers `TimestepEmbedding` as the UNet uses it: linear_1 -> SiLU -> linear_2.
public struct TimestepEmbedding: Sendable {
  public let linear1: Linear
  public let linear2: Linear

  public init(_ path: WeightPath, inChannels: Int, timeEmbeddingDim: Int) {
    linear1 = Linear(path.child("linear_1"), inFeatures: inChannels, outFeatures: timeEmbeddingDim)
    linear2 = Linear(path.child("linear_2"), inFeatures: timeEmbeddingDim, outFeatures: timeEmbeddingDim)
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    try linear2(linear1(x).silu())
  }
}
