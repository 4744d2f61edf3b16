import Foundation

/// The learning rate of docs/method.md §5, as the reference's train.py computes it for its 0-based
/// `iter_num` = iteration - 1: linear warm-up, `base * (iter_num + 1) / W` for iter_num < W,
/// then `base * 0.5 * (1 + cos(pi * (iter_num - W) / (N - W)))`. Iteration 1 of a
/// 400-iteration warm-up uses base/400, iterations 400 and 401 the base rate, iteration 2201
/// half of it, the last (N) ~1e-10 of it. The reference then runs one iteration more
/// (iter_num N, lr 0), which moves only BatchNorm statistics; AGFAS stops at N.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
  public var base: Float
  public var iterations: Int
  public var warmupFraction: Double

  public init(base: Float = 1e-3, iterations: Int = 4000, warmupFraction: Double = 0.1) {
    self.base = base
    self.iterations = iterations
    self.warmupFraction = warmupFraction
  }

  /// Warm-up iterations (at least 1).
  public var warmupIterations: Int { Swift.max(1, Int((Double(iterations) * warmupFraction).rounded())) }

  /// The rate for 1-based `iteration`.
  public func rate(iteration: Int) -> Float {
    let warm = warmupIterations
    if iteration <= warm { return base * Float(iteration) / Float(warm) }
    let progress = Double(iteration - 1 - warm) / Double(Swift.max(iterations - warm, 1))
    return Float(Double(base) * 0.5 * (1 + cos(Double.pi * Swift.min(progress, 1))))
  }
}
