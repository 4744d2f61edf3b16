import AGFASEngine
import Foundation

/// A naive Double reference for softmax and log-softmax over one axis (see
/// NaiveReferences.swift), with PyTorch's bf16 rounding rules, which the engine follows.
struct NaiveSoftmax {
  let shape: [Int]
  let axis: Int
  let log: Bool
  let dtype: DType

  /// The element indices of each line along the axis.
  var lines: [[Int]] {
    let n = shape[axis]
    let inner = shape[(axis + 1)...].reduce(1, *)
    let outer = shape[..<axis].reduce(1, *)
    return (0..<(outer * inner)).map { line in
      let (o, i) = (line / inner, line % inner)
      return (0..<n).map { (o * n + $0) * inner + i }
    }
  }

  /// Roundings of an fp32 softmax of n elements: the exponentials (each a transcendental,
  /// rounded on its argument x - max too), their sum (an n-term accumulation), the division
  /// or the log, and the final store. Magnitudes count the argument rounding of exp(x_j - max)
  /// as |x_j - max| relative to exp, and the log's absolute error of S's relative error as 1.
  func forward(_ x: [Double]) -> Expected {
    var (y, magnitude) = ([Double](repeating: 0, count: x.count), [Double](repeating: 0, count: x.count))
    var bf16Intermediate = [Double](repeating: 0, count: x.count)
    for line in lines {
      let m = line.map { x[$0] }.max()!
      let total = line.map { Foundation.exp(x[$0] - m) }.reduce(0, +)
      let lse = Foundation.log(total)
      // Σ p_j |x_j - max|: the relative error of S from its exponentials' arguments.
      let argumentError = line.map { Foundation.exp(x[$0] - m) / total * abs(x[$0] - m) }.reduce(0, +)
      for i in line {
        let p = Foundation.exp(x[i] - m) / total
        y[i] = log ? x[i] - m - lse : p
        magnitude[i] =
          log ? abs(x[i] - m) + abs(lse) + abs(y[i]) + 1 + argumentError : p * (1 + abs(x[i] - m) + argumentError)
        // PyTorch's bf16 log-softmax over the last axis rounds S (off by 2^-8 relative, so
        // log S by 1.01·2^-8 absolute) and then log S (2^-8·|log S|) before the result.
        if log && lastAxis { bf16Intermediate[i] = 1.01 + abs(lse) }
      }
    }
    var expected = Expected(
      name: "output", values: y, magnitude: magnitude,
      roundings: accumulationRoundings(shape[axis]) + 2 * transcendentalRoundings + 3)
    // PyTorch's bf16 softmax off the last axis rounds each exponential: numerator and the
    // weighted denominator each move by 2^-8 relative, then the result rounds once more.
    if !log && !lastAxis { expected.bf16FinalRoundings = 3 }
    if log && lastAxis { expected.bf16Intermediate = bf16Intermediate }
    return expected
  }

  private var lastAxis: Bool { axis == shape.count - 1 }

  /// The input gradient for `g`: softmax y (g - Σ g y), log-softmax g - p Σ g. The engine
  /// reads its own forward output, off by `forwardTolerance` per element: that error is
  /// propagated to first order (with the second-order cross term of the softmax).
  func backward(_ x: [Double], _ g: [Double], forwardTolerance tolY: [Double]) -> Expected {
    var (gx, magnitude, propagated) = (
      [Double](repeating: 0, count: x.count), [Double](repeating: 0, count: x.count),
      [Double](repeating: 0, count: x.count)
    )
    for line in lines {
      let m = line.map { x[$0] }.max()!
      let total = line.map { Foundation.exp(x[$0] - m) }.reduce(0, +)
      let p = Dictionary(uniqueKeysWithValues: line.map { ($0, Foundation.exp(x[$0] - m) / total) })
      let sumG = line.map { g[$0] }.reduce(0, +)
      let sumAbsG = line.map { abs(g[$0]) }.reduce(0, +)
      let sumGY = line.map { g[$0] * p[$0]! }.reduce(0, +)
      let sumAbsGY = line.map { abs(g[$0] * p[$0]!) }.reduce(0, +)
      let sumAbsGTol = line.map { abs(g[$0]) * tolY[$0] }.reduce(0, +)
      for i in line {
        if log {
          gx[i] = g[i] - p[i]! * sumG
          magnitude[i] = abs(g[i]) + p[i]! * sumAbsG
          propagated[i] = p[i]! * abs(sumG) * Foundation.expm1(tolY[i])
        } else {
          gx[i] = p[i]! * (g[i] - sumGY)
          magnitude[i] = p[i]! * (abs(g[i]) + sumAbsGY)
          propagated[i] = tolY[i] * (abs(g[i] - sumGY) + sumAbsGTol) + p[i]! * sumAbsGTol
        }
      }
    }
    return Expected(
      name: "grad input", values: gx, magnitude: magnitude,
      roundings: accumulationRoundings(shape[axis]) + transcendentalRoundings + 3, propagated: propagated)
  }
}
