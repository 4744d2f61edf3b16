import AGFASEngine

/// Unit roundoff of fp32 (24 significant bits, round to nearest).
let fp32Unit = 0x1p-24
/// Unit roundoff of bf16 (8 significant bits, round to nearest).
let bf16Unit = 0x1p-8
/// The smallest normal fp32 (and bf16) magnitude: a rounding with underflow, flushed to zero
/// or not, errs by at most this much in absolute terms on top of its relative error.
let underflowUnit = 0x1p-126
/// Rounding budget of one fp32 exp or log, in units of `fp32Unit`: glibc's expf/logf are
/// within 1 ulp (2u) and oneDNN's polynomial exp within 2 ulp (4u) on normal arguments.
let transcendentalRoundings = 4.0

/// Safety factor λ of the probabilistic bound λ·√n·u (Higham and Mary, "A new approach to
/// probabilistic rounding error analysis", 2019): with independent, mean-zero roundings a sum
/// of n terms is off by more than λ·√n·u·Σ|terms| with probability at most 2·exp(-λ²/2),
/// about 4e-22 for λ = 10 — never, over a few hundred thousand checked elements.
let probabilisticLambda = 10.0

/// Roundings along an fp32 accumulation of `n` terms: the deterministic bound γ_n ≈ n·u holds
/// for every summation order (a tree of n leaves is at most n deep, products included), the
/// probabilistic one is λ·√n·u; the smaller one applies.
func accumulationRoundings(_ n: Int) -> Double {
  min(Double(n), probabilisticLambda * Double(n).squareRoot())
}

/// What a naive reference says about one engine output tensor, with the error it allows.
///
/// The fp32 part is `roundings · u · magnitude_i`, where magnitude_i sums the absolute values
/// of every term that reaches element i (times the factors it is scaled by afterwards) and
/// `roundings` counts the fp32 roundings a term can go through. bf16 outputs add half an ulp
/// of the result per rounding of it, plus half an ulp of every intermediate the engine
/// rounds to bf16 on the way (`bf16Intermediate`). Each rounding may also underflow
/// (`underflowUnit`), which matters only for results near 1e-38 (softmax of far logits).
struct Expected {
  /// Which tensor this is, for messages: "output", "grad weight", ...
  var name: String
  var values: [Double]
  var magnitude: [Double]
  var roundings: Double
  /// Absolute error reaching this output through an earlier engine output it reads (the
  /// softmax backward reads the engine's rounded forward output), per element.
  var propagated: [Double]? = nil
  /// bf16 roundings of the final value: 1, or 0 for a pure selection (max pooling).
  var bf16FinalRoundings = 1.0
  /// Σ|values rounded to bf16 before the final result|, per element.
  var bf16Intermediate: [Double]? = nil

  func tolerance(_ i: Int, _ dtype: DType) -> Double {
    let fp32 = roundings * (fp32Unit * magnitude[i] + underflowUnit) + (propagated?[i] ?? 0)
    guard dtype == .bfloat16 else { return fp32 }
    // Rounding (v + e) to bf16 adds at most bf16Unit·|v + e| <= bf16Unit·(|v| + e).
    return fp32 * (1 + bf16Unit) + bf16Unit * (bf16FinalRoundings * abs(values[i]) + (bf16Intermediate?[i] ?? 0))
  }

  /// Every element's tolerance in `dtype`.
  func tolerances(_ dtype: DType) -> [Double] { values.indices.map { tolerance($0, dtype) } }
}
