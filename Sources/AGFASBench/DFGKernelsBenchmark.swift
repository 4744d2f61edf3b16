import AGFASEngine

/// The kernels `agfas bench dfg` compares the DFG with: large 3x3 convolutions at the UNet's
/// sizes (the best is the host's peak) and attention at the UNet's and the ViT's shapes, the
/// same cases scripts/bench_dfg_torch.py times.
public enum DFGKernelsBenchmark {
  /// (label, batch, channels, side) of the peak convolutions.
  static let peakConvolutions = [
    ("320->320 1x32x32", 1, 320, 32), ("320->320 4x32x32", 4, 320, 32), ("640->640 4x16x16", 4, 640, 16),
    ("1280->1280 4x8x8", 4, 1280, 8),
  ]

  /// (label, heads, queries, keys, dims): the UNet's self-attention at 512 and 256 px faces,
  /// its cross-attention to the 49 identity tokens, and the ViT's 197 tokens.
  static let attentionShapes = [
    ("8x4096x40", 8, 4096, 4096, 40), ("8x1024x40", 8, 1024, 1024, 40), ("8x1024x49x40", 8, 1024, 49, 40),
    ("8x256x80", 8, 256, 256, 80), ("8x64x160", 8, 64, 64, 160), ("12x197x64", 12, 197, 197, 64),
  ]

  /// Row names of the peak convolutions (their best GFLOP/s is the host's peak).
  public static var peakRows: [String] { peakConvolutions.map { "conv3x3 \($0.0)" } }

  /// Times every case in each dtype: convolutions and attention forward untracked,
  /// attention forward+backward tracked (gradients of query, key and value).
  public static func run(dtypes: [DType], repeats: Int, log: (String) -> Void) throws -> [BenchResult] {
    let gen = TorchGenerator(seed: 0)
    var results: [BenchResult] = []
    func record(_ op: String, _ dtype: DType, _ seconds: Double, _ gflop: Double) {
      let r = BenchResult(op: op, dtype: dtype == .float32 ? "fp32" : "bf16", seconds: seconds, gflop: gflop)
      log(String(format: "  %@ %@: %.2f ms, %.1f GFLOP/s", op, r.dtype, seconds * 1000, r.gflops))
      results.append(r)
    }
    for dtype in dtypes {
      try withoutGrad {
        for (label, b, ch, side) in peakConvolutions {
          let x = try gen.randn([b, ch, side, side], dtype: dtype).channelsLast()
          let w = gen.randn([ch, ch, 3, 3], dtype: dtype)
          let bias = gen.randn([ch], dtype: dtype)
          let seconds = try medianSeconds(repeats: repeats) { _ = try x.conv2d(weight: w, bias: bias, padding: (1, 1)) }
          record("conv3x3 \(label)", dtype, seconds, Double(2 * b * ch * side * side * ch * 9) / 1e9)
        }
      }
      for (label, heads, queries, keys, dims) in attentionShapes {
        let q = gen.randn([1, heads, queries, dims], dtype: dtype)
        let k = gen.randn([1, heads, keys, dims], dtype: dtype)
        let v = gen.randn([1, heads, keys, dims], dtype: dtype)
        let gflop = Double(4 * heads * queries * keys * dims) / 1e9
        let forward = try withoutGrad {
          try medianSeconds(repeats: repeats) { _ = try Tensor.scaledDotProductAttention(query: q, key: k, value: v) }
        }
        record("attention fwd \(label)", dtype, forward, gflop)
        let (qg, kg, vg) = (q.requiringGrad(), k.requiringGrad(), v.requiringGrad())
        let g = gen.randn([1, heads, queries, dims], dtype: dtype)
        let both = try medianSeconds(repeats: repeats) {
          try Tensor.scaledDotProductAttention(query: qg, key: kg, value: vg).backward(g)
          for t in [qg, kg, vg] { t.setGrad(nil) }
        }
        // Forward plus a backward of four matmuls: three forwards' work, as the script counts.
        record("attention fwd+bwd \(label)", dtype, both, 3 * gflop)
      }
    }
    return results
  }
}
