import AGFASEngine
import XCTest

/// matmul and linear against the naive Double products: outputs and the gradients of every
/// operand, with batched, broadcast (size-1 and missing) batch dims and rank-1 operands.
final class MatmulDifferentialTests: XCTestCase {
  /// The two operands' shapes as given to the engine, random within small sizes.
  static func randomMatmulShapes(_ rng: inout SplitMix64) -> ([Int], [Int]) {
    let (m, k, n) = (rng.int(1...17), rng.int(1...24), rng.int(1...17))
    let batch = (0..<rng.int(0...3)).map { _ in rng.int(1...4) }
    /// The batch dims one operand keeps: all, a trailing part, or some set to 1.
    func own(_ rng: inout SplitMix64) -> [Int] {
      switch rng.int(0...3) {
      case 0: return Array(batch.suffix(rng.int(0...batch.count)))
      case 1: return batch.map { rng.bool() ? 1 : $0 }
      default: return batch
      }
    }
    let a = rng.int(0...7) == 0 ? [k] : own(&rng) + [m, k]
    let b = rng.int(0...7) == 0 ? [k] : own(&rng) + [k, n]
    return (a, b)
  }

  func checkMatmul(_ aShape: [Int], _ bShape: [Int], _ dtype: DType, _ rng: inout SplitMix64) throws
    -> [(Tensor?, Expected)]
  {
    let (a, b) = (try Operand(aShape, dtype, &rng), try Operand(bShape, dtype, &rng))
    let out = try a.tensor.matmul(b.tensor)
    let g = try Operand(out.shape, dtype, &rng, grad: false)
    try out.backward(g.tensor)
    // Rank-1 operands are a one-row (left) or one-column (right) matrix with the same values.
    let (am, bm) = (aShape.count == 1 ? [1] + aShape : aShape, bShape.count == 1 ? bShape + [1] : bShape)
    let expected = naiveMatmul(am, a.values, bm, b.values, g: g.values)
    return zip([out, a.tensor.grad, b.tensor.grad], expected).map { ($0, $1) }
  }

  func checkLinear(
    _ lead: [Int], inFeatures: Int, outFeatures: Int, bias: Bool, _ dtype: DType,
    _ rng: inout SplitMix64
  ) throws -> [(Tensor?, Expected)] {
    let x = try Operand(lead + [inFeatures], dtype, &rng)
    let w = try Operand([outFeatures, inFeatures], dtype, &rng)
    let b = bias ? try Operand([outFeatures], dtype, &rng) : nil
    let g = try Operand(lead + [outFeatures], dtype, &rng, grad: false)
    let out = try x.tensor.linear(weight: w.tensor, bias: b?.tensor)
    try out.backward(g.tensor)
    let expected = naiveLinear(
      rows: lead.reduce(1, *), inFeatures: inFeatures, outFeatures: outFeatures, x: x.values, w: w.values,
      b: b?.values, g: g.values)
    return zip([out, x.tensor.grad, w.tensor.grad, b?.tensor.grad], expected).map { ($0, $1) }
  }

  func runMatmul(_ dtype: DType) {
    let family = DifferentialFamily("matmul", dtype)
    var rng = SplitMix64(seed: 0x3A7)
    let named: [([Int], [Int])] = [([7], [7]), ([5], [3, 5, 4]), ([2, 3, 6, 5], [5]), ([1, 4, 3], [2, 1, 3, 6])]
    for (a, b) in named + (0..<36).map({ _ in Self.randomMatmulShapes(&rng) }) {
      family.check("matmul \(a) x \(b)") { try checkMatmul(a, b, dtype, &rng) }
    }
    family.finish()
  }

  func runLinear(_ dtype: DType) {
    let family = DifferentialFamily("linear", dtype)
    var rng = SplitMix64(seed: 0x1EA)
    for _ in 0..<20 {
      let lead = (0..<rng.int(0...2)).map { _ in rng.int(1...9) }
      let (inF, outF, bias) = (rng.int(1...33), rng.int(1...20), rng.bool())
      family.check("linear x \(lead + [inF]) w [\(outF), \(inF)] \(bias ? "bias" : "no bias")") {
        try checkLinear(lead, inFeatures: inF, outFeatures: outF, bias: bias, dtype, &rng)
      }
    }
    family.finish()
  }

  func testMatmulFP32MatchesNaiveReference() { runMatmul(.float32) }
  func testMatmulBF16MatchesNaiveReference() { runMatmul(.bfloat16) }
  func testLinearFP32MatchesNaiveReference() { runLinear(.float32) }
  func testLinearBF16MatchesNaiveReference() { runLinear(.bfloat16) }
}
