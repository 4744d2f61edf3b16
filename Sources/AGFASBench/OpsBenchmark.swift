import AGFASEngine

/// The engine's headline ops at the sizes the DFG UNet runs them (`agfas bench ops`).
public enum OpsBenchmark {
  /// Times conv 3x3 320->320 on 1x320x32x32, a 2048^3 matmul and attention over
  /// 8 heads x 1024 tokens x 40 dims, in each requested dtype.
  public static func run(dtypes: [DType], repeats: Int) throws -> [BenchResult] {
    var results: [BenchResult] = []
    let gen = TorchGenerator(seed: 0)
    for dtype in dtypes {
      let name = dtype == .float32 ? "fp32" : "bf16"
      try withoutGrad {
        let x = try gen.randn([1, 320, 32, 32], dtype: dtype).channelsLast()
        let w = gen.randn([320, 320, 3, 3], dtype: dtype)
        let b = gen.randn([320], dtype: dtype)
        let conv = try medianSeconds(repeats: repeats) {
          _ = try x.conv2d(weight: w, bias: b, padding: (1, 1))
        }
        results.append(
          BenchResult(
            op: "conv3x3 320->320 1x320x32x32", dtype: name, seconds: conv, gflop: 2 * 320 * 32 * 32 * 320 * 9 / 1e9))

        let a = gen.randn([2048, 2048], dtype: dtype)
        let m = gen.randn([2048, 2048], dtype: dtype)
        let mm = try medianSeconds(repeats: repeats) { _ = try a.matmul(m) }
        results.append(BenchResult(op: "matmul 2048^3", dtype: name, seconds: mm, gflop: 2 * pow(2048, 3) / 1e9))

        let q = gen.randn([1, 8, 1024, 40], dtype: dtype)
        let k = gen.randn([1, 8, 1024, 40], dtype: dtype)
        let v = gen.randn([1, 8, 1024, 40], dtype: dtype)
        let att = try medianSeconds(repeats: repeats) {
          _ = try Tensor.scaledDotProductAttention(query: q, key: k, value: v)
        }
        results.append(
          BenchResult(op: "attention 8x1024x40", dtype: name, seconds: att, gflop: 4 * 8 * 1024 * 1024 * 40 / 1e9))
      }
    }
    return results
  }
}

private func pow(_ x: Double, _ n: Int) -> Double { (0..<n).reduce(1) { acc, _ in acc * x } }
