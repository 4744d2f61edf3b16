import AGFASEngine

/// What every optimizer does around its own update rule, in one place (SGD, AdamW).
enum OptimizerSteps {
  /// Makes every parameter a fresh autograd leaf with no gradient (`optimizer.zero_grad()`).
  static func zeroGrad(_ parameters: [Parameter]) {
    for p in parameters { p.value = p.value.detached().requiringGrad() }
  }

  /// Calls `update` on every parameter that has a gradient of its shape, skipping those
  /// without one as PyTorch does, and returns how many were updated.
  static func step(_ parameters: [Parameter], op: String, _ update: (Parameter, Tensor) throws -> Void) throws
    -> Int
  {
    var updated = 0
    for p in parameters {
      guard let grad = p.value.grad else { continue }
      guard grad.shape == p.shape else {
        throw TensorError.shapeMismatch(
          op: op, shapes: [p.shape, grad.shape], reason: "gradient of \(p.path) does not match the parameter")
      }
      try update(p, grad)
      updated += 1
    }
    return updated
  }

  /// Refuses a hyperparameter that is negative, NaN or infinite, naming it.
  static func requireFiniteNonNegative(_ values: [(String, Float)], op: String) throws {
    for (name, v) in values where !(v >= 0) || !v.isFinite {
      throw TensorError.invalidArgument(op: op, reason: "\(name) \(v) must be a finite value >= 0")
    }
  }
}
