/// Activation (gradient) checkpointing, as `torch.utils.checkpoint` and diffusers'
/// `enable_gradient_checkpointing` do it: inside `run`, a `segment` keeps only its inputs and
/// its output for the backward; its intermediate activations are dropped after the forward and
/// recomputed, with recording on, when the backward reaches it. Memory falls by what the
/// segments held inside (attention probabilities, norms, activations); each segment's forward
/// runs twice. Segments must be deterministic (no dropout), as the UNet's are.
public enum ActivationCheckpointing {
  @TaskLocal static var isEnabled = false

  /// True inside `run` (and not inside a segment's recomputation).
  public static var enabled: Bool { isEnabled }

  /// Runs `body` (a forward and its backward) with checkpointed segments.
  public static func run<T>(_ body: () throws -> T) rethrows -> T {
    try $isEnabled.withValue(true, operation: body)
  }

  /// `body(inputs)`, checkpointed when inside `run` with recording on, else called as is.
  /// Parameters `body` uses get their gradients when the backward recomputes it.
  public static func segment(_ inputs: [Tensor], _ body: @escaping ([Tensor]) throws -> Tensor) throws -> Tensor {
    guard isEnabled, GradMode.isEnabled else { return try body(inputs) }
    var output = try withoutGrad { try body(inputs) }
    // Recorded even when no input is tracked: the parameters inside may be.
    output.node = GradNode(op: "checkpoint", inputs: inputs.map(\.node)) { g in
      let leaves = inputs.map { $0.requiresGrad ? $0.detached().requiringGrad() : $0.detached() }
      let recomputed = try GradMode.$isEnabled.withValue(true) {
        try $isEnabled.withValue(false) { try body(leaves) }
      }
      if recomputed.requiresGrad { try recomputed.backward(g) }
      return leaves.map { $0.requiresGrad ? $0.grad : nil }
    }
    return output
  }
}
