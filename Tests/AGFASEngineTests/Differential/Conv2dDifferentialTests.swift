import AGFASEngine
import XCTest

/// conv2d against the naive Double convolution: forward and the gradients of input, weight
/// and bias over random shapes (few and odd channel counts, unequal strides, padding,
/// dilation, groups, depthwise, both input layouts), plus the strided 1x1 convolutions whose
/// weight gradient oneDNN's jit_1x1 AVX2 kernel gets wrong (oneDNN issue 6035).
final class Conv2dDifferentialTests: XCTestCase {
  /// Products per reference pass: keeps a debug-build case in the milliseconds.
  static let maxProducts = 120_000

  /// 1x1 kernel, stride 2, no padding, few input channels: named so a failure says which.
  static let strided1x1: [ConvShape] = [(32, 4, 32, 8), (16, 3, 17, 8), (4, 16, 16, 8), (2, 4, 9, 16), (8, 3, 12, 4)]
    .map { n, cin, size, cout in
      ConvShape(
        batch: n, inChannels: cin, height: size, width: size, outChannels: cout, groups: 1, kernel: [1, 1],
        stride: [2, 2], padding: [0, 0], dilation: [1, 1], bias: true)
    }

  /// A random shape within the product budget; most cases get a small batch, one in eight a
  /// large one (8...33).
  static func randomShape(_ rng: inout SplitMix64) -> ConvShape {
    while true {
      let groups: Int
      let (inG, outG): (Int, Int)
      switch rng.int(0...5) {
      case 0:  // depthwise, optionally with a channel multiplier
        groups = rng.int(1...20)
        (inG, outG) = (1, rng.int(1...2))
      case 1, 2:
        groups = rng.int(2...4)
        (inG, outG) = (rng.int(1...(20 / groups)), rng.int(1...(20 / groups)))
      default:
        groups = 1
        (inG, outG) = (rng.int(1...20), rng.int(1...20))
      }
      let kernel = [rng.pick([1, 2, 3, 3, 5]), rng.pick([1, 2, 3, 3, 5])]
      let dilation = [rng.int(1...2), rng.int(1...2)]
      let padding = kernel.map { rng.int(0...($0 / 2 + 1)) }
      let reach = (0..<2).map { dilation[$0] * (kernel[$0] - 1) + 1 }
      let s = ConvShape(
        batch: rng.int(0...7) == 0 ? rng.int(8...33) : rng.int(1...4), inChannels: inG * groups,
        height: rng.int(max(1, reach[0] - 2 * padding[0])...13), width: rng.int(max(1, reach[1] - 2 * padding[1])...13),
        outChannels: outG * groups, groups: groups, kernel: kernel, stride: [rng.int(1...3), rng.int(1...3)],
        padding: padding, dilation: dilation, bias: rng.bool())
      let products = s.output.reduce(1, *) * inG * kernel[0] * kernel[1]
      if products <= maxProducts { return s }
    }
  }

  /// Runs one shape: random operands in `dtype`, the input in `layout`, then the output and
  /// every gradient against the reference.
  func check(_ s: ConvShape, _ dtype: DType, layout: Layout, _ rng: inout SplitMix64) throws -> [(Tensor?, Expected)] {
    let x = try Operand(s.input, dtype, &rng, layout: layout)
    let w = try Operand(s.weight, dtype, &rng)
    let b = s.bias ? try Operand([s.outChannels], dtype, &rng) : nil
    let gy = try Operand(s.output, dtype, &rng, grad: false)
    let out = try x.tensor.conv2d(
      weight: w.tensor, bias: b?.tensor, stride: (s.stride[0], s.stride[1]), padding: (s.padding[0], s.padding[1]),
      dilation: (s.dilation[0], s.dilation[1]), groups: s.groups)
    try out.backward(gy.tensor)
    let expected = naiveConv2d(s, x: x.values, w: w.values, b: b?.values, gy: gy.values)
    return zip([out, x.tensor.grad, w.tensor.grad, b?.tensor.grad], expected).map { ($0, $1) }
  }

  func run(_ dtype: DType) {
    let family = DifferentialFamily("conv2d", dtype)
    var rng = SplitMix64(seed: 0xC0_2D)
    for s in Self.strided1x1 {
      family.check("strided 1x1 \(s)") { try check(s, dtype, layout: .rowMajor, &rng) }
    }
    for _ in 0..<70 {
      let s = Self.randomShape(&rng)
      let layout: Layout = rng.bool() ? .rowMajor : .channelsLast
      family.check("\(s) \(layout)") { try check(s, dtype, layout: layout, &rng) }
    }
    family.finish()
  }

  func testFP32MatchesNaiveReference() { run(.float32) }
  func testBF16MatchesNaiveReference() { run(.bfloat16) }
}
