/// A training run's randomness (sampling order, flips, dropout seeds, noise seeds) as a pure function
/// of (seed, stream, counters): SplitMix64 over a hash of them. Nothing is carried from one
/// iteration to the next, so the sampler's whole state is the seed and the iteration, and a
/// resumed run draws exactly what an uninterrupted one would. (Not torch's stream: the
/// reference's DataLoader order is not reproducible outside PyTorch anyway.)
public struct SeededRandom: Sendable {
  private var state: UInt64

  /// A stream for `seed` and the given counters.
  public init(seed: UInt64, _ counters: Int...) {
    var s = SeededRandom.mix(seed ^ 0x9E37_79B9_7F4A_7C15)
    for c in counters { s = SeededRandom.mix(s ^ UInt64(bitPattern: Int64(c))) }
    state = s
  }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return SeededRandom.mix(state)
  }

  /// Uniform in 0..<n (n > 0); the modulo bias is below 2^-40 for any dataset size.
  public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

  /// 0..<n in a random order (Fisher-Yates).
  public mutating func permutation(_ n: Int) -> [Int] {
    var p = Array(0..<n)
    for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, below(i + 1)) }
    return p
  }

  private static func mix(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
