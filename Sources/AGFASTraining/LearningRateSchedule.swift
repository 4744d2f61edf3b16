import Foundation

/// The learning rate of SPEC 5: linear warm-up over the first `warmupFraction` of the run,
/// then cosine decay to 0 at the last iteration. Iterations count from 1: iteration 1 of a
/// 400-iteration warm-up uses base/400, iteration 400 the base rate, the last iteration 0.
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
    let progress = Double(iteration - warm) / Double(Swift.max(iterations - warm, 1))
    return Float(Double(base) * 0.5 * (1 + cos(Double.pi * Swift.min(progress, 1))))
  }
}
