import AGFASEngine
import XCTest

/// maxPool2d and avgPool2d against the naive Double pooling: forward and input gradient over
/// random kernels, strides (explicit and default), padding up to half the kernel, ceil mode
/// and both average divisor rules, in both layouts. bf16 inputs tie often, so the max cases
/// also check that the gradient goes to the first maximum.
final class PoolingDifferentialTests: XCTestCase {
  static func randomShape(_ kind: PoolShape.Kind, _ rng: inout SplitMix64) -> PoolShape {
    let kernel = [rng.int(1...4), rng.int(1...4)]
    let stride = rng.int(0...3) == 0 ? kernel : [rng.int(1...3), rng.int(1...3)]
    let padding = kernel.map { rng.int(0...($0 / 2)) }
    return PoolShape(
      kind: kind, batch: rng.int(1...3), channels: rng.int(1...20), height: rng.int(kernel[0]...13),
      width: rng.int(kernel[1]...13), kernel: kernel, stride: stride, padding: padding, ceilMode: rng.bool())
  }

  func check(_ s: PoolShape, _ dtype: DType, layout: Layout, defaultStride: Bool, _ rng: inout SplitMix64) throws
    -> [(Tensor?, Expected)]
  {
    let x = try Operand(s.input, dtype, &rng, layout: layout)
    let gy = try Operand([s.batch, s.channels] + s.outSize, dtype, &rng, grad: false)
    let (kernel, padding) = ((s.kernel[0], s.kernel[1]), (s.padding[0], s.padding[1]))
    let stride = defaultStride ? nil : (s.stride[0], s.stride[1])
    let out =
      s.kind == .max
      ? try x.tensor.maxPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: s.ceilMode)
      : try x.tensor.avgPool2d(
        kernel: kernel, stride: stride, padding: padding, ceilMode: s.ceilMode,
        countIncludePad: s.kind == .averageIncludingPadding)
    try out.backward(gy.tensor)
    return zip([out, x.tensor.grad], naivePool2d(s, x: x.values, gy: gy.values)).map { ($0, $1) }
  }

  func run(_ dtype: DType) {
    let family = DifferentialFamily("pool2d", dtype)
    var rng = SplitMix64(seed: 0x9001)
    for kind in [PoolShape.Kind.max, .averageIncludingPadding, .averageExcludingPadding] {
      for _ in 0..<16 {
        let s = Self.randomShape(kind, &rng)
        let layout: Layout = rng.bool() ? .rowMajor : .channelsLast
        let defaultStride = s.stride == s.kernel && rng.bool()
        family.check("\(s) \(layout)\(defaultStride ? " default stride" : "")") {
          try check(s, dtype, layout: layout, defaultStride: defaultStride, &rng)
        }
      }
    }
    family.finish()
  }

  func testFP32MatchesNaiveReference() { run(.float32) }
  func testBF16MatchesNaiveReference() { run(.bfloat16) }
}
