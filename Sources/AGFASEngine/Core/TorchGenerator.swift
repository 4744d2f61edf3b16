import Foundation

/// A random source that draws the same numbers as PyTorch's CPU generator after
/// `torch.manual_seed(seed)`, so a seeded AGFAS run reproduces a seeded reference run.
///
/// PyTorch's CPU generator is a 32-bit Mersenne Twister (mt19937). `torch.randn` of a
/// contiguous fp32 tensor with at least 16 elements fills it with uniforms
/// `(next() & 0xFFFFFF) / 2^24`, then turns each block of 16 into normals by Box-Muller (the
/// first 8 uniforms give radii, the next 8 angles); a ragged tail re-draws the last 16 values.
/// Smaller tensors draw one double-precision Box-Muller pair per two values, caching the
/// second (torch's `normal_distribution<double>`).
public final class TorchGenerator: @unchecked Sendable {
  private var state = [UInt32](repeating: 0, count: 624)
  private var index = 624
  private var cachedNormal: Double?

  /// Seeds like `torch.manual_seed(seed)` (the low 32 bits seed mt19937).
  public init(seed: UInt64) {
    state[0] = UInt32(truncatingIfNeeded: seed)
    for i in 1..<624 {
      state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
    }
    index = 624
  }

  /// The next raw 32-bit draw.
  public func next() -> UInt32 {
    if index >= 624 { twist() }
    var y = state[index]
    index += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C_5680
    y ^= (y << 15) & 0xEFC6_0000
    y ^= y >> 18
    return y
  }

  private func twist() {
    for i in 0..<624 {
      let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
      var v = state[(i + 397) % 624] ^ (y >> 1)
      if y & 1 != 0 { v ^= 0x9908_B0DF }
      state[i] = v
    }
    index = 0
  }

  /// A uniform fp32 in [0, 1) with 24 random bits, as torch's `uniform_real_distribution<float>`.
  func uniformFloat() -> Float { Float(next() & 0xFF_FFFF) * (1.0 / 16_777_216.0) }

  /// A uniform double in [0, 1) with 53 random bits (first draw is the high word).
  func uniformDouble() -> Double {
    let hi = UInt64(next())
    let lo = UInt64(next())
    return Double(((hi << 32) | lo) & ((1 << 53) - 1)) * 0x1p-53
  }

  /// `n` standard normals in the order `torch.randn(n)` produces them.
  public func normals(_ n: Int) -> [Float] {
    guard n >= 16 else { return (0..<n).map { _ in Float(scalarNormal()) } }
    var data = (0..<n).map { _ in uniformFloat() }
    data.withUnsafeMutableBufferPointer { buf in
      var i = 0
      while i + 16 <= n {
        TorchGenerator.boxMuller16(buf.baseAddress! + i)
        i += 16
      }
      if n % 16 != 0 {
        let tail = buf.baseAddress! + (n - 16)
        for j in 0..<16 { tail[j] = uniformFloat() }
        TorchGenerator.boxMuller16(tail)
      }
    }
    return data
  }

  /// A tensor of standard normals, as `torch.randn(shape)` after the same draws.
  public func randn(_ shape: [Int], dtype: DType = .float32) -> Tensor {
    try! Tensor(normals(Shape.count(shape)), shape: shape, dtype: dtype)
  }

  /// `n` values uniform in [low, high), as `tensor.uniform_(low, high)` on an fp32 CPU tensor
  /// (24 random bits each; what nn.init's uniform initialisers draw).
  public func uniform(_ n: Int, low: Float, high: Float) -> [Float] {
    (0..<n).map { _ in uniformFloat() * (high - low) + low }
  }

  /// `n` normals with the given mean and std, as `tensor.normal_(mean, std)` (nn.init.normal_).
  public func normal(_ n: Int, mean: Float, std: Float) -> [Float] {
    guard n >= 16 else { return (0..<n).map { _ in Float(scalarNormal() * Double(std) + Double(mean)) } }
    return normals(n).map { $0 * std + mean }
  }

  private static func boxMuller16(_ p: UnsafeMutablePointer<Float>) {
    for j in 0..<8 {
      let u1 = 1 - p[j]
      let u2 = p[j + 8]
      let radius = (-2 * Foundation.log(u1)).squareRoot()
      let theta = Float(2.0 * Double.pi) * u2
      p[j] = radius * Foundation.cos(theta)
      p[j + 8] = radius * Foundation.sin(theta)
    }
  }

  private func scalarNormal() -> Double {
    if let cached = cachedNormal {
      cachedNormal = nil
      return cached
    }
    let u1 = uniformDouble()
    let u2 = uniformDouble()
    let r = (-2 * Foundation.log1p(-u2)).squareRoot()
    let theta = 2 * Double.pi * u1
    cachedNormal = r * Foundation.sin(theta)
    return r * Foundation.cos(theta)
  }
}
