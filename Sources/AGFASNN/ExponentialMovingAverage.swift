import AGFASEngine
import Foundation

/// diffusers' `EMAModel` (what the authors' `unet_ema` folder was saved from): a shadow copy of
/// every parameter, after optimizer step k moved toward the weights by `1 - decay_k` with
///
///     decay_k = 0                                     for k <= 1 (the shadow becomes the weights)
///     decay_k = min((1 + s) / (10 + s), maxDecay)     s = k - 1, without warm-up
///     decay_k = min(1 - (1 + s / invGamma)^-power, maxDecay)    with warm-up
///
/// and never below `minDecay`. Frozen parameters are copied. Shadows are fp32 copies that
/// belong to the average and are updated in place each step.
public final class ExponentialMovingAverage {
  public let maxDecay: Double
  public let minDecay: Double
  public let useWarmup: Bool
  public let invGamma: Double
  public let power: Double
  /// Optimizer steps averaged so far (`optimization_step`, saved in the EMA folder's config).
  public private(set) var optimizationStep: Int
  /// The averaged values by parameter path.
  public private(set) var shadow: [String: Tensor]

  /// Starts from the current values of `parameters` (diffusers' defaults: no warm-up,
  /// power 2/3, inverse gamma 1).
  public init(
    parameters: [Parameter], decay: Double = 0.9999, minDecay: Double = 0, useWarmup: Bool = false,
    invGamma: Double = 1, power: Double = 2.0 / 3.0
  ) throws {
    guard decay.isFinite, (0...1).contains(decay), minDecay.isFinite, (0...decay).contains(minDecay) else {
      throw TensorError.invalidArgument(
        op: "EMA", reason: "decay \(decay) must lie in [0, 1] and min decay \(minDecay) in [0, decay]")
    }
    maxDecay = decay
    self.minDecay = minDecay
    self.useWarmup = useWarmup
    self.invGamma = invGamma
    self.power = power
    optimizationStep = 0
    shadow = Dictionary(uniqueKeysWithValues: try parameters.map { ($0.path, try $0.value.ownedCopy()) })
  }

  /// The decay applied at optimizer step `step` (1-based).
  public func decay(atStep step: Int) -> Double {
    let s = Double(max(0, step - 1))
    guard s > 0 else { return 0 }
    let value = useWarmup ? 1 - pow(1 + s / invGamma, -power) : (1 + s) / (10 + s)
    return max(min(value, maxDecay), minDecay)
  }

  /// Moves the shadows toward `parameters` after an optimizer step:
  /// `shadow -= (1 - decay) * (shadow - value)`.
  public func step(_ parameters: [Parameter]) throws {
    optimizationStep += 1
    let oneMinus = Float(1 - decay(atStep: optimizationStep))
    try withoutGrad {
      for p in parameters {
        guard p.trainable, let s = shadow[p.path] else {
          shadow[p.path] = try p.value.ownedCopy()
          continue
        }
        try Self.move(s, toward: p.value, by: oneMinus)
      }
    }
  }

  /// `s -= (s - v) * k` in place, element-wise over the cores (diffusers' `sub_` order);
  /// `s` is one of the average's own tensors.
  static func move(_ s: Tensor, toward v: Tensor, by k: Float) throws {
    let b = try v.detached().fp32RowMajor()
    let (sv, bv) = (s.floats(), b.floats())
    parallelFor(s.count) { range in
      for i in range { sv[i] = sv[i] - (sv[i] - bv[i]) * k }
    }
    s.storage.invalidateDerived()
    withExtendedLifetime(b) {}
  }

  /// Restores a saved run: the shadows (every path must be known) and the step count.
  public func load(shadow saved: [String: Tensor], optimizationStep step: Int) throws {
    for (path, t) in saved {
      guard let current = shadow[path] else {
        throw TensorError.invalidArgument(op: "EMA", reason: "saved average for unknown parameter \(path)")
      }
      guard current.shape == t.shape else {
        throw TensorError.shapeMismatch(op: "EMA", shapes: [current.shape, t.shape], reason: "average of \(path)")
      }
    }
    guard step >= 0 else { throw TensorError.invalidArgument(op: "EMA", reason: "step \(step) must be >= 0") }
    for (path, t) in saved { shadow[path] = try t.ownedCopy() }
    optimizationStep = step
  }
}
