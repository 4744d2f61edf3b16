import AGFASDFG
import AGFASDiffusion
import AGFASEngine
import AGFASNN
import Foundation

/// The DFG's parts at full SD-1.5 size with random weights (`agfas bench dfg`).
public enum DFGBenchmark {
  /// Approximate work per call (GFLOP), the same numbers the PyTorch script divides by.
  static let gflop: [String: Double] = [
    "unet step b1": 179, "unet step b4": 716, "vae encode 256": 273, "vae decode 256": 622,
    "reconstruction (41 steps)": 8200,
  ]

  /// Times one UNet step (batch 1 and 4), VAE encode/decode at 256 and, unless `full` is
  /// false, one whole reconstruction, in each dtype. `log` receives progress lines.
  /// Also logs the PSNR of the bf16 reconstruction's 8-bit image against the fp32 one when
  /// both run. With `writeModels`, the random models are first written there in the released
  /// layout (`ReconstructRunBenchmark.writeModels`) for `agfas reconstruct` runs; `timed`
  /// false stops there.
  public static func run(
    dtypes: [DType], repeats: Int, full: Bool, timed: Bool = true, writeModels: String? = nil,
    log: (String) -> Void
  ) throws -> [BenchResult] {
    log("building SD-1.5 UNet, VAE and iresnet18 with random weights")
    let unetStore = ParameterStore(initialization: .fast)
    let unet = try UNet2DConditionModel(unetStore.root(), config: .stableDiffusion15)
    let vaeStore = ParameterStore(initialization: .fast)
    let vae = try AutoencoderKL(.stableDiffusion15, vaeStore.root())
    let identity = try ArcFaceIdentity(initialization: .fast)
    if let writeModels {
      log("writing them to \(writeModels) for agfas reconstruct")
      try ReconstructRunBenchmark.writeModels(unet: unetStore, vae: vaeStore, identity: identity, to: writeModels)
    }
    if !timed { return [] }
    let gen = TorchGenerator(seed: 0)
    let x = try gen.randn([1, 3, 256, 256]).clamped(min: -1, max: 1)
    let cond = gen.randn([1, 49, 768])
    var results: [BenchResult] = []
    var images: [DType: [Float]] = [:]
    func record(_ op: String, _ dtype: DType, _ seconds: Double) {
      let r = BenchResult(op: op, dtype: dtype == .float32 ? "fp32" : "bf16", seconds: seconds, gflop: gflop[op]!)
      log(String(format: "  %@ %@: %.3f s", op, r.dtype, seconds))
      results.append(r)
    }
    for dtype in dtypes {
      unetStore.convert(to: dtype)
      vaeStore.convert(to: dtype)
      try withoutGrad {
        for b in [1, 4] {
          let z = gen.randn([b, 4, 32, 32], dtype: dtype)
          let c = try cond.expanded(to: [b, 49, 768]).converted(to: dtype)
          record(
            "unet step b\(b)", dtype,
            try medianSeconds(repeats: repeats) { _ = try unet(z, timestep: 801, encoderHiddenStates: c) })
        }
        let face = x.converted(to: dtype)
        record("vae encode 256", dtype, try medianSeconds(repeats: repeats) { _ = try vae.encode(face) })
        let z = gen.randn([1, 4, 32, 32], dtype: dtype)
        record("vae decode 256", dtype, try medianSeconds(repeats: repeats) { _ = try vae.decode(z) })
      }
      if full {
        let pipeline = DFGPipeline(
          unet: unet, vae: vae, identity: identity, schedulerConfig: .stableDiffusion15, precision: dtype)
        let start = DispatchTime.now().uptimeNanoseconds
        let decoded = try pipeline.reconstruct(x, seeds: [0])
        record("reconstruction (41 steps)", dtype, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        images[dtype] = decoded.toArray().map { ((Swift.min(Swift.max($0 / 2 + 0.5, 0), 1)) * 255).rounded() }
      }
    }
    if let a = images[.float32], let b = images[.bfloat16] {
      let mse = zip(a, b).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(a.count)
      log(String(format: "bf16 vs fp32 reconstruction: PSNR %.1f dB (8-bit images)", 10 * log10(255 * 255 / mse)))
    }
    return results
  }
}
