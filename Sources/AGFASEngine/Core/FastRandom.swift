extension Tensor {
  /// Uniform values from a counter-based hash (splitmix64), filled in parallel: for large
  /// tensors whose values only need to be plausible (benchmarks, shape checks). Not torch's stream.
  public static func fastUniform(_ shape: [Int], low: Float, high: Float, seed: UInt64) -> Tensor {
    let t = Tensor.empty(shape)
    let p = t.floats()
    let scale = (high - low) / Float(1 << 24)
    parallelFor(t.count, grain: 1 << 16) { r in
      for i in r {
        var z = seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        p[i] = low + Float(z >> 40) * scale
      }
    }
    return t
  }
}
