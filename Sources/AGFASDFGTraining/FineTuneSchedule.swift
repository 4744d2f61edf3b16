import Foundation

/// The learning-rate schedules of diffusers' `get_scheduler` (PyTorch `LambdaLR`), as its
/// training scripts step them: optimizer step k (0-based) uses `base * factor(k)`, so with a
/// warm-up the first step's rate is 0, exactly as in the reference scripts.
public struct FineTuneSchedule: Codable, Equatable, Sendable {
  public enum Kind: String, Codable, CaseIterable, Sendable {
    case constant
    case constantWithWarmup = "constant_with_warmup"
    case cosine
    case linear
  }

  public var kind: Kind
  public var base: Float
  public var warmupSteps: Int
  public var totalSteps: Int

  public init(kind: Kind, base: Float, warmupSteps: Int, totalSteps: Int) {
    self.kind = kind
    self.base = base
    self.warmupSteps = warmupSteps
    self.totalSteps = totalSteps
  }

  /// The rate of 0-based optimizer step `step`.
  public func rate(step: Int) -> Float {
    Float(Double(base) * factor(step))
  }

  private func factor(_ step: Int) -> Double {
    let (k, w, n) = (Double(step), Double(warmupSteps), Double(totalSteps))
    switch kind {
    case .constant: return 1
    case .constantWithWarmup: return step < warmupSteps ? k / max(1, w) : 1
    case .linear:
      if step < warmupSteps { return k / max(1, w) }
      return max(0, (n - k) / max(1, n - w))
    case .cosine:
      if step < warmupSteps { return k / max(1, w) }
      let progress = (k - w) / max(1, n - w)
      // diffusers' num_cycles 0.5: half a cosine from 1 down to 0.
      return max(0, 0.5 * (1 + cos(Double.pi * 0.5 * 2 * progress)))
    }
  }
}
