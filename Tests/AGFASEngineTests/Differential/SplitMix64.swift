/// A tiny deterministic generator (Steele, Lea and Flood's SplitMix64): the differential cases
/// must be the same on every machine and run, which SystemRandomNumberGenerator is not.
struct SplitMix64: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// An integer in `range`, drawn with this generator (the standard library's unbiased draw).
  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

  /// A uniform value in [-1, 1) with 24 random bits, so it is exact in fp32.
  mutating func unit() -> Float { Float(Int64(next() >> 40) - (1 << 23)) / Float(1 << 23) }

  mutating func bool() -> Bool { next() & 1 == 1 }

  /// One element of `options`.
  mutating func pick<T>(_ options: [T]) -> T { options[int(0...(options.count - 1))] }
}
