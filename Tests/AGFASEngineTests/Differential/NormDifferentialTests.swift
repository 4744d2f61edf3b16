import AGFASEngine
import XCTest

/// layerNorm, groupNorm and batchNorm (training with running statistics, and inference)
/// against the naive Double normalisation: outputs and the gradients of input, weight and
/// bias, with and without affine parameters, offset inputs (the mean matters), both layouts
/// for 4-D inputs; the untracked forward too (bf16 group/batch norm has its own path there).
final class NormDifferentialTests: XCTestCase {
  /// Optional affine parameters: weights around 1 as trained ones are, biases around 0.
  func affine(_ shape: [Int], _ dtype: DType, _ rng: inout SplitMix64) throws -> (Operand?, Operand?) {
    let w = rng.int(0...3) == 0 ? nil : try Operand(shape, dtype, &rng, scale: 0.5, offset: 1)
    let b = rng.int(0...3) == 0 ? nil : try Operand(shape, dtype, &rng)
    return (w, b)
  }

  /// An input with a random offset and spread, and an upstream gradient of its shape.
  func operands(_ shape: [Int], _ dtype: DType, layout: Layout, _ rng: inout SplitMix64) throws -> (Operand, Operand) {
    let (offset, scale) = (2 * rng.unit(), 1.25 + 0.75 * rng.unit())
    let x = try Operand(shape, dtype, &rng, scale: scale, offset: offset, layout: layout)
    return (x, try Operand(shape, dtype, &rng, grad: false))
  }

  /// Backward from `out` and the engine's tensors beside their references: output, grad
  /// input, then the grads of the affine parameters present; plus the untracked forward
  /// `inference` against the same output reference when given.
  func results(
    _ out: Tensor, _ x: Operand, _ g: Operand, _ w: Operand?, _ b: Operand?, _ expected: [Expected],
    inference: () throws -> Tensor
  ) throws -> [(Tensor?, Expected)] {
    try out.backward(g.tensor)
    let tensors = [out, x.tensor.grad] + [w, b].compactMap { $0 }.map { $0.tensor.grad }
    var untracked = expected[0]
    untracked.name = "output (untracked)"
    return zip(tensors, expected).map { ($0, $1) } + [(try withoutGrad(inference), untracked)]
  }

  /// A 4-D [N, C, H, W] or 3-D [N, C, L] shape (spatial may be empty for batch norm).
  func channelShape(_ channels: Int, _ rng: inout SplitMix64, allowFlat: Bool = false) -> [Int] {
    let spatial: [Int] =
      switch rng.int(allowFlat ? 0...2 : 1...2) {
      case 0: []
      case 1: [rng.int(1...30)]
      default: [rng.int(1...7), rng.int(1...7)]
      }
    return [rng.int(1...4), channels] + spatial
  }

  func runLayerNorm(_ dtype: DType) {
    let family = DifferentialFamily("layerNorm", dtype)
    var rng = SplitMix64(seed: 0x1A7E)
    for _ in 0..<24 {
      let normalized = (0..<rng.int(1...2)).map { _ in rng.int(1...24) }
      let shape = (0..<rng.int(0...2)).map { _ in rng.int(1...5) } + normalized
      let eps: Float = rng.pick([1e-5, 1e-12])
      family.check("layerNorm x \(shape) normalized \(normalized) eps \(eps)") {
        let (x, g) = try operands(shape, dtype, layout: .rowMajor, &rng)
        let (w, b) = try affine(normalized, dtype, &rng)
        let norm = { try x.tensor.layerNorm(normalizedShape: normalized, weight: w?.tensor, bias: b?.tensor, eps: eps) }
        let expected = naiveNorm(
          x.values, .layer(count: x.values.count, width: normalized.reduce(1, *)), weight: w?.values, bias: b?.values,
          eps: Double(eps), g: g.values
        ).expected
        return try results(norm(), x, g, w, b, expected, inference: norm)
      }
    }
    family.finish()
  }

  func runGroupNorm(_ dtype: DType) {
    let family = DifferentialFamily("groupNorm", dtype)
    var rng = SplitMix64(seed: 0x6A0)
    for _ in 0..<24 {
      let groups = rng.int(1...4)
      let shape = channelShape(groups * rng.int(1...5), &rng)
      let layout: Layout = shape.count == 4 && rng.bool() ? .channelsLast : .rowMajor
      family.check("groupNorm x \(shape) groups \(groups) \(layout)") {
        let (x, g) = try operands(shape, dtype, layout: layout, &rng)
        let (w, b) = try affine([shape[1]], dtype, &rng)
        let norm = { try x.tensor.groupNorm(groups: groups, weight: w?.tensor, bias: b?.tensor) }
        let sets = NormSets.group(
          batch: shape[0], channels: shape[1], spatial: shape.dropFirst(2).reduce(1, *), groups: groups)
        let expected = naiveNorm(x.values, sets, weight: w?.values, bias: b?.values, eps: 1e-5, g: g.values).expected
        return try results(norm(), x, g, w, b, expected, inference: norm)
      }
    }
    family.finish()
  }

  /// Training cases (batch statistics, then the running statistics' momentum update) and
  /// inference cases (random running statistics, which get no gradient).
  func runBatchNorm(_ dtype: DType) {
    let family = DifferentialFamily("batchNorm", dtype)
    var rng = SplitMix64(seed: 0xBA7C)
    for index in 0..<30 {
      let training = index % 3 != 0
      var shape = channelShape(rng.int(1...12), &rng, allowFlat: true)
      if shape.reduce(1, *) == shape[1] { shape[0] = 2 }  // training needs 2 values per channel
      let layout: Layout = shape.count == 4 && rng.bool() ? .channelsLast : .rowMajor
      let momentum: Float = rng.pick([0.1, 0.3])
      family.check("batchNorm \(training ? "training" : "inference") x \(shape) \(layout) momentum \(momentum)") {
        let (x, g) = try operands(shape, dtype, layout: layout, &rng)
        let (w, b) = try affine([shape[1]], dtype, &rng)
        let c = shape[1]
        let running = try Operand([c], dtype, &rng, scale: 0.5, grad: false)
        let runningVar = try Operand([c], dtype, &rng, scale: 0.4, offset: 0.6, grad: false)
        let stats = BatchNormStatistics(runningMean: running.tensor, runningVar: runningVar.tensor)
        let norm = {
          try x.tensor.batchNorm(
            weight: w?.tensor, bias: b?.tensor, running: stats, training: training, momentum: momentum)
        }
        let sets = NormSets.batch(channels: c, spatial: shape.dropFirst(2).reduce(1, *))
        let fixed = training ? nil : (running.values, runningVar.values)
        let (expected, batch) = naiveNorm(
          x.values, sets, weight: w?.values, bias: b?.values, eps: 1e-5, g: g.values, fixed: fixed)
        let out = try norm()
        let unbiased = batch.variance.map { $0 * Double(batch.size) / Double(batch.size - 1) }
        let meanScale = batch.mean.indices.map { abs(batch.mean[$0]) + batch.meanAbs[$0] }
        let updates =
          training
          ? [
            (
              stats.runningMean,
              runningUpdate(running.values, batch.mean, meanScale, momentum, batch.size, "running mean")
            ),
            (
              stats.runningVar,
              runningUpdate(runningVar.values, unbiased, unbiased, momentum, batch.size, "running var")
            ),
          ] : []
        // Untracked training without running statistics: batch statistics, no second update.
        let inference = {
          try x.tensor.batchNorm(
            weight: w?.tensor, bias: b?.tensor, running: training ? nil : stats, training: training)
        }
        return try updates + results(out, x, g, w, b, expected, inference: inference)
      }
    }
    family.finish()
  }

  /// `(1 - momentum) * old + momentum * batch`; the batch statistic carries the error of its
  /// fp32 block sums, accumulationRoundings(m)·u of its `scale` (|mean| + mean|x| for the
  /// mean, the variance itself for a sum of squares), plus 4 roundings for the update.
  func runningUpdate(
    _ old: [Double], _ batch: [Double], _ scale: [Double], _ momentum: Float, _ size: Int, _ name: String
  )
    -> Expected
  {
    let m = Double(momentum)
    return Expected(
      name: name, values: old.indices.map { (1 - m) * old[$0] + m * batch[$0] },
      magnitude: old.indices.map { (1 - m) * abs(old[$0]) + m * scale[$0] }, roundings: accumulationRoundings(size) + 4)
  }

  func testLayerNormFP32MatchesNaiveReference() { runLayerNorm(.float32) }
  func testLayerNormBF16MatchesNaiveReference() { runLayerNorm(.bfloat16) }
  func testGroupNormFP32MatchesNaiveReference() { runGroupNorm(.float32) }
  func testGroupNormBF16MatchesNaiveReference() { runGroupNorm(.bfloat16) }
  func testBatchNormFP32MatchesNaiveReference() { runBatchNorm(.float32) }
  func testBatchNormBF16MatchesNaiveReference() { runBatchNorm(.bfloat16) }
}
