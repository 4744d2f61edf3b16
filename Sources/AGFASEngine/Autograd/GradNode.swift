/// One recorded op in the autograd graph: the nodes of its inputs and how to turn the gradient
/// of its output into gradients of those inputs.
///
/// The graph is built as ops run (define-by-run, like PyTorch); `Tensor.backward()` walks it
/// in reverse. Leaves are the tensors marked with `requiringGrad()` and collect `grad`.
final class GradNode: @unchecked Sendable {
  let op: String
  let inputs: [GradNode?]
  /// Maps the output gradient to one gradient per input (nil where an input needs none).
  let backward: ((Tensor) throws -> [Tensor?])?
  /// Accumulated gradient of a leaf.
  var grad: Tensor?

  init(op: String, inputs: [GradNode?], backward: ((Tensor) throws -> [Tensor?])?) {
    self.op = op
    self.inputs = inputs
    self.backward = backward
  }

  var isLeaf: Bool { backward == nil }
}

/// Whether ops record autograd history on this task/thread.
public enum GradMode {
  @TaskLocal static var isEnabled = true

  /// True while ops record history (the default; false inside `withoutGrad`).
  public static var enabled: Bool { isEnabled }
}

/// Runs `body` without recording autograd history: inference builds no graph.
public func withoutGrad<T>(_ body: () throws -> T) rethrows -> T {
  try GradMode.$isEnabled.withValue(false) { try body() }
}

extension Tensor {
  /// True when this tensor has autograd history or is a leaf that collects a gradient.
  public var requiresGrad: Bool { node != nil }

  /// This value as a leaf that collects a gradient on `backward()`.
  public func requiringGrad() -> Tensor {
    var t = self
    t.node = GradNode(op: "leaf", inputs: [], backward: nil)
    return t
  }

  /// This value with no autograd history.
  public func detached() -> Tensor {
    var t = self
    t.node = nil
    return t
  }

  /// The gradient collected by this leaf, if any.
  public var grad: Tensor? { node?.grad }

  /// Clears this leaf's collected gradient.
  public func zeroGrad() { node?.grad = nil }

  /// Replaces this leaf's collected gradient (what gradient clipping's in-place `grad.mul_`
  /// does in PyTorch); a tensor with no autograd history ignores it.
  public func setGrad(_ gradient: Tensor?) { node?.grad = gradient?.detached() }

  /// Attaches autograd history to `output` when recording is on and an input is tracked.
  /// `backward` receives the gradient of `output` and returns one gradient per input.
  func recorded(
    _ op: String, inputs: [Tensor], backward: @escaping (Tensor) throws -> [Tensor?]
  ) -> Tensor {
    guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return self }
    var out = self
    out.node = GradNode(op: op, inputs: inputs.map(\.node), backward: backward)
    return out
  }
}
