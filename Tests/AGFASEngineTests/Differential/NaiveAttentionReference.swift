import AGFASEngine
import Foundation

/// A naive Double reference for scaled dot-product attention (no broadcast batch dims):
/// output and the gradients of query, key and value.
///
/// Tolerance by running error analysis: every intermediate the engine materialises (scores,
/// probabilities, dP, dS) gets an absolute error bound per element from its own roundings
/// plus the bounds of what it reads, propagated to first order (exp(δ) - 1 for the softmax,
/// second-order cross terms where a product of two erring values appears). The engine keeps
/// scores, dP and the softmax in fp32; in bf16 it rounds the probabilities and dS to bf16
/// (half an ulp each, added to their bounds) and the results once.
struct NaiveAttention {
  let batch, queries, keys, features, valueFeatures: Int
  let scale: Double
  let dtype: DType

  /// Output, grad query, grad key, grad value.
  func run(q: [Double], k: [Double], v: [Double], g: [Double]) -> [Expected] {
    let (l, s, e, ev) = (queries, keys, features, valueFeatures)
    var (out, dq, dk, dv) = (Sums(batch * l * ev), Sums(q.count), Sums(k.count), Sums(v.count))
    var (errOut, errQ, errK, errV) = (
      [Double](repeating: 0, count: out.value.count), [Double](repeating: 0, count: q.count),
      [Double](repeating: 0, count: k.count), [Double](repeating: 0, count: v.count)
    )
    let bf16 = dtype == .bfloat16 ? bf16Unit : 0
    for b in 0..<batch {
      let (qo, ko, vo, oo) = (b * l * e, b * s * e, b * s * ev, b * l * ev)
      for i in 0..<l {
        // Scores and their bounds: an E-term fp32 dot product, then the scale.
        var (scores, errS) = ([Double](repeating: 0, count: s), [Double](repeating: 0, count: s))
        for j in 0..<s {
          let terms = (0..<e).map { q[qo + i * e + $0] * k[ko + j * e + $0] * scale }
          scores[j] = terms.reduce(0, +)
          errS[j] = (accumulationRoundings(e) + 3) * (fp32Unit * terms.map(abs).reduce(0, +) + underflowUnit)
        }
        let m = scores.max()!
        let total = scores.map { Foundation.exp($0 - m) }.reduce(0, +)
        let p = scores.map { Foundation.exp($0 - m) / total }
        let spread = zip(p, scores).map { $0 * abs($1 - m) }.reduce(0, +)
        let shifted = zip(p, errS).map { $0 * $1 }.reduce(0, +)
        let softmaxRoundings = accumulationRoundings(s) + 2 * transcendentalRoundings + 3
        var errP = [Double](repeating: 0, count: s)
        for j in 0..<s {
          let fromScores: Double = p[j] * Foundation.expm1(errS[j] + shifted)
          let own: Double = softmaxRoundings * (fp32Unit * p[j] * (1 + abs(scores[j] - m) + spread) + underflowUnit)
          errP[j] = fromScores + own + bf16 * p[j]
        }
        // dP = g v^T in fp32 and r = Σ p dP, with bounds.
        var (dp, errDP) = ([Double](repeating: 0, count: s), [Double](repeating: 0, count: s))
        for j in 0..<s {
          let terms = (0..<ev).map { g[oo + i * ev + $0] * v[vo + j * ev + $0] }
          dp[j] = terms.reduce(0, +)
          errDP[j] = (accumulationRoundings(ev) + 2) * (fp32Unit * terms.map(abs).reduce(0, +) + underflowUnit)
        }
        var (r, errR, absPDP) = (0.0, 0.0, 0.0)
        for j in 0..<s {
          r += p[j] * dp[j]
          absPDP += abs(p[j] * dp[j])
          errR += p[j] * errDP[j] + errP[j] * (abs(dp[j]) + errDP[j])
        }
        for j in 0..<s {
          let ds = p[j] * (dp[j] - r)
          let fromInputs: Double = errP[j] * (abs(dp[j] - r) + errDP[j] + errR) + p[j] * (errDP[j] + errR)
          let own: Double = (accumulationRoundings(s) + 3) * (fp32Unit * p[j] * (abs(dp[j]) + absPDP) + underflowUnit)
          let errDS = fromInputs + own + bf16 * abs(ds)
          for d in 0..<ev {
            out.add(oo + i * ev + d, p[j] * v[vo + j * ev + d])
            errOut[oo + i * ev + d] += errP[j] * abs(v[vo + j * ev + d])
            dv.add(vo + j * ev + d, p[j] * g[oo + i * ev + d])
            errV[vo + j * ev + d] += errP[j] * abs(g[oo + i * ev + d])
          }
          for d in 0..<e {
            dq.add(qo + i * e + d, scale * ds * k[ko + j * e + d])
            errQ[qo + i * e + d] += scale * errDS * abs(k[ko + j * e + d])
            dk.add(ko + j * e + d, scale * ds * q[qo + i * e + d])
            errK[ko + j * e + d] += scale * errDS * abs(q[qo + i * e + d])
          }
        }
      }
    }
    return [
      (out, s, errOut, "output"), (dq, s + 1, errQ, "grad query"), (dk, l + 1, errK, "grad key"),
      (dv, l, errV, "grad value"),
    ].map { sums, terms, err, name in
      var expected = sums.expected(name, terms: terms)
      expected.propagated = err
      return expected
    }
  }
}
