import AGFASEngine
import Foundation

/// Adam with decoupled weight decay, with PyTorch's `torch.optim.AdamW` semantics (the
/// optimizer of diffusers' fine-tuning scripts). Per parameter with a gradient, each `step()`
/// does, in PyTorch's order of operations:
///
///     t += 1
///     p = p * (1 - lr * weightDecay)
///     m = lerp(m, g, 1 - beta1)                 (m + (1 - beta1) * (g - m))
///     v = beta2 * v + (1 - beta2) * g * g
///     p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
///
/// Parameters without a gradient are skipped: no decay, no moment update, and their step count
/// stays, as in PyTorch. Math runs in fp32; moments are fp32 (masters of bf16 weights too) and
/// belong to the optimizer: each step updates them in place, as PyTorch does (allocating them
/// anew would page-fault through gigabytes every step of a full fine-tune).
public final class AdamW {
  /// One parameter's state, as PyTorch keeps it: `step`, `exp_avg`, `exp_avg_sq`.
  public struct State {
    public var step: Int
    public var exponentialAverage: Tensor
    public var exponentialAverageSquared: Tensor

    public init(step: Int, exponentialAverage: Tensor, exponentialAverageSquared: Tensor) {
      self.step = step
      self.exponentialAverage = exponentialAverage
      self.exponentialAverageSquared = exponentialAverageSquared
    }
  }

  /// The trainable parameters this optimizer updates, in order (buffers are left out).
  public let parameters: [Parameter]
  /// Changed by learning-rate schedules between steps.
  public var learningRate: Float
  public let beta1: Float
  public let beta2: Float
  public let epsilon: Float
  public let weightDecay: Float
  /// State by parameter path; a parameter gets one on its first step with a gradient.
  public private(set) var state: [String: State] = [:]
  /// Write each new value over the one this optimizer wrote the step before, when the
  /// parameter still holds it (as PyTorch's in-place update): a full fine-tune then does not
  /// page-fault through a fresh copy of every weight each step. Whoever keeps an older value
  /// tensor sees it change, so only trainers that do not keep them turn this on.
  public let updatesInPlace: Bool
  /// The storage of the value written last for each parameter (weak: a storage freed and
  /// another allocated at its address must not be taken for it).
  private var written: [String: WeakStorage] = [:]

  public init(
    parameters: [Parameter], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
    weightDecay: Float = 1e-2, updatesInPlace: Bool = false
  ) throws {
    try OptimizerSteps.requireFiniteNonNegative(
      [("learning rate", learningRate), ("epsilon", epsilon), ("weight decay", weightDecay)], op: "AdamW")
    for (name, v) in [("beta1", beta1), ("beta2", beta2)] where !(0 <= v && v < 1) {
      throw TensorError.invalidArgument(op: "AdamW", reason: "\(name) \(v) must be in [0, 1)")
    }
    self.parameters = parameters.filter(\.trainable)
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.updatesInPlace = updatesInPlace
  }

  /// Makes every parameter a fresh autograd leaf with no gradient (`optimizer.zero_grad()`).
  public func zeroGrad() { OptimizerSteps.zeroGrad(parameters) }

  /// Updates every parameter that has a gradient and returns how many were updated. Each
  /// gradient is multiplied by `gradientScale` as it is read (gradient clipping's factor:
  /// what `clip_grad_norm_` followed by `step()` computes, in fp32 as there).
  @discardableResult
  public func step(gradientScale: Float = 1) throws -> Int {
    try OptimizerSteps.step(parameters, op: "AdamW") { try update($0, grad: $1, scale: gradientScale) }
  }

  /// Restores state saved from `state` (resuming a run); every path must name one of this
  /// optimizer's parameters, with moments of its shape and a step count of at least 1.
  public func loadState(_ saved: [String: State]) throws {
    let shapes = Dictionary(uniqueKeysWithValues: parameters.map { ($0.path, $0.shape) })
    for (path, s) in saved {
      guard let shape = shapes[path] else {
        throw TensorError.invalidArgument(op: "AdamW", reason: "state for unknown parameter \(path)")
      }
      guard s.exponentialAverage.shape == shape, s.exponentialAverageSquared.shape == shape else {
        throw TensorError.shapeMismatch(
          op: "AdamW", shapes: [shape, s.exponentialAverage.shape, s.exponentialAverageSquared.shape],
          reason: "moments of \(path) do not match the parameter")
      }
      guard s.step >= 1 else {
        throw TensorError.invalidArgument(op: "AdamW", reason: "step \(s.step) of \(path) must be at least 1")
      }
    }
    // Copied: the optimizer writes its moments in place, and a loaded file's may be read-only.
    state = try saved.mapValues {
      State(
        step: $0.step, exponentialAverage: try $0.exponentialAverage.ownedCopy(),
        exponentialAverageSquared: try $0.exponentialAverageSquared.ownedCopy())
    }
  }

  private func update(_ p: Parameter, grad: Tensor, scale: Float) throws {
    let previous = state[p.path]
    let t = (previous?.step ?? 0) + 1
    let value = try p.value.fp32RowMajor()
    let g = try grad.fp32RowMajor()
    // The moments are the optimizer's own row-major fp32 tensors, updated in place.
    let m = previous?.exponentialAverage ?? Tensor.zeros(p.shape)
    let v = previous?.exponentialAverageSquared ?? Tensor.zeros(p.shape)
    // In place only over a value this optimizer wrote itself (never a loaded, maybe mapped, file).
    let reuse =
      updatesInPlace && written[p.path]?.storage === p.value.storage && value.storage === p.value.storage
    let out = reuse ? value : Tensor.empty(p.shape)
    let (pv, gv, ov, mv, vv) = (value.floats(), g.floats(), out.floats(), m.floats(), v.floats())
    // PyTorch computes the bias corrections in double (Python floats) and rounds them once.
    let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), Double(t))))
    let correction2 = Float((1 - pow(Double(beta2), Double(t))).squareRoot())
    let decay = Float(1 - Double(learningRate) * Double(weightDecay))
    let (b1, b2, eps) = (beta1, beta2, epsilon)
    // Element-wise, so split over the cores: SD-1.5's 860M weights take seconds on one.
    parallelFor(out.count) { range in
      for i in range {
        let decayed = pv[i] * decay
        let gi = scale == 1 ? gv[i] : gv[i] * scale
        let m0 = mv[i]
        let mi = m0 + (1 - b1) * (gi - m0)
        let vi = vv[i] * b2 + (1 - b2) * gi * gi
        mv[i] = mi
        vv[i] = vi
        let denominator = vi.squareRoot() / correction2 + eps
        // addcdiv's order: (value * m) / denominator.
        ov[i] = decayed + -stepSize * mi / denominator
      }
    }
    withExtendedLifetime((value, g)) {}
    state[p.path] = State(step: t, exponentialAverage: m, exponentialAverageSquared: v)
    if reuse {
      p.value.storage.invalidateDerived()
    } else {
      p.value = p.value.dtype == .float32 ? out : out.converted(to: p.value.dtype)
      if updatesInPlace, p.value.dtype == .float32 { written[p.path] = WeakStorage(p.value.storage) }
    }
  }
}

extension Tensor {
  /// A row-major fp32 copy in storage of its own (safe to write in place).
  func ownedCopy() throws -> Tensor {
    let source = try detached().fp32RowMajor()
    let out = Tensor.empty(shape)
    if count > 0 { out.floats().baseAddress!.update(from: source.floats().baseAddress!, count: count) }
    return withExtendedLifetime(source) { out }
  }
}

/// A weak reference to a storage (identity without keeping it alive).
private struct WeakStorage {
  weak var storage: TensorStorage?

  init(_ storage: TensorStorage) { self.storage = storage }
}
