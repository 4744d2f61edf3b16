import AGFASEngine
import XCTest

/// softmax and logSoftmax against the naive Double softmax, forward and backward, over the
/// last, middle and first axes (negative axis numbers too), ranks 1-4, channels-last 4-D
/// inputs (the channel axis is then innermost in memory: oneDNN's path) and large logits.
final class SoftmaxDifferentialTests: XCTestCase {
  func run(log: Bool, _ dtype: DType) {
    let family = DifferentialFamily(log ? "logSoftmax" : "softmax", dtype)
    var rng = SplitMix64(seed: log ? 0x106 : 0x50F7)
    for _ in 0..<30 {
      let shape = (0..<rng.int(1...4)).map { _ in rng.int(1...9) }
      let axis = rng.int(0...(shape.count - 1))
      let given = rng.bool() ? axis : axis - shape.count
      let layout: Layout = shape.count == 4 && rng.bool() ? .channelsLast : .rowMajor
      let scale: Float = rng.pick([1, 4, 60])
      family.check("\(log ? "logSoftmax" : "softmax") x \(shape) axis \(given) \(layout) logits within \(scale)") {
        let x = try Operand(shape, dtype, &rng, scale: scale, offset: scale * rng.unit(), layout: layout)
        let g = try Operand(shape, dtype, &rng, grad: false)
        let out = log ? try x.tensor.logSoftmax(axis: given) : try x.tensor.softmax(axis: given)
        try out.backward(g.tensor)
        let reference = NaiveSoftmax(shape: shape, axis: axis, log: log, dtype: dtype)
        let forward = reference.forward(x.values)
        let backward = reference.backward(x.values, g.values, forwardTolerance: forward.tolerances(dtype))
        return [(out, forward), (x.tensor.grad, backward)]
      }
    }
    family.finish()
  }

  func testSoftmaxFP32MatchesNaiveReference() { run(log: false, .float32) }
  func testSoftmaxBF16MatchesNaiveReference() { run(log: false, .bfloat16) }
  func testLogSoftmaxFP32MatchesNaiveReference() { run(log: true, .float32) }
  func testLogSoftmaxBF16MatchesNaiveReference() { run(log: true, .bfloat16) }
}
