import AGFASEngine
import XCTest

/// scaledDotProductAttention against the naive Double attention: output and the query, key
/// and value gradients over random batch dims, lengths, feature sizes and scales.
final class AttentionDifferentialTests: XCTestCase {
  func run(_ dtype: DType) {
    let family = DifferentialFamily("attention", dtype)
    var rng = SplitMix64(seed: 0xA77E)
    for _ in 0..<24 {
      let batch = (0..<rng.int(0...2)).map { _ in rng.int(1...3) }
      let (l, s, e, ev) = (rng.int(1...9), rng.int(1...9), rng.int(1...16), rng.int(1...16))
      let scale: Float? = rng.bool() ? nil : rng.pick([0.05, 0.5, 2])
      family.check(
        "attention q \(batch + [l, e]) k \(batch + [s, e]) v \(batch + [s, ev]) scale \(scale.map { "\($0)" } ?? "default")"
      ) {
        let q = try Operand(batch + [l, e], dtype, &rng)
        let k = try Operand(batch + [s, e], dtype, &rng)
        let v = try Operand(batch + [s, ev], dtype, &rng)
        let g = try Operand(batch + [l, ev], dtype, &rng, grad: false)
        let out = try Tensor.scaledDotProductAttention(query: q.tensor, key: k.tensor, value: v.tensor, scale: scale)
        try out.backward(g.tensor)
        let reference = NaiveAttention(
          batch: batch.reduce(1, *), queries: l, keys: s, features: e, valueFeatures: ev,
          scale: Double(scale ?? 1 / Float(e).squareRoot()), dtype: dtype)
        let expected = reference.run(q: q.values, k: k.values, v: v.values, g: g.values)
        return zip([out, q.tensor.grad, k.tensor.grad, v.tensor.grad], expected).map { ($0, $1) }
      }
    }
    family.finish()
  }

  func testFP32MatchesNaiveReference() { run(.float32) }
  func testBF16MatchesNaiveReference() { run(.bfloat16) }
}
