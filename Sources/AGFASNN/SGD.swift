import AGFASEngine

/// Stochastic gradient descent with PyTorch's `torch.optim.SGD` semantics (the SSDG recipe:
/// momentum 0.9, weight decay 5e-4). Per parameter with a gradient, each `step()` does
///
///     d = grad + weightDecay * p
///     buf = d on the first step, else momentum * buf + (1 - dampening) * d
///     d = nesterov ? d + momentum * buf : buf        (when momentum != 0)
///     p = p - lr * d
///
/// Parameters without a gradient (unused in the forward, like ViT's pooler) are skipped,
/// weight decay included, as PyTorch skips them. Math runs in fp32; momentum buffers are fp32.
public final class SGD {
  /// The trainable parameters this optimizer updates, in order (buffers are left out).
  public let parameters: [Parameter]
  /// Changed by learning-rate schedules between steps.
  public var learningRate: Float
  public let momentum: Float
  public let dampening: Float
  public let weightDecay: Float
  public let nesterov: Bool
  /// Momentum buffers by parameter path; a parameter gets one on its first step with a gradient.
  public private(set) var momentumBuffers: [String: Tensor] = [:]

  public init(
    parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0,
    nesterov: Bool = false
  ) throws {
    try OptimizerSteps.requireFiniteNonNegative(
      [("learning rate", learningRate), ("momentum", momentum), ("weight decay", weightDecay)], op: "SGD")
    guard !nesterov || (momentum > 0 && dampening == 0) else {
      throw TensorError.invalidArgument(op: "SGD", reason: "nesterov needs momentum > 0 and dampening 0")
    }
    self.parameters = parameters.filter(\.trainable)
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.weightDecay = weightDecay
    self.nesterov = nesterov
  }

  /// Makes every parameter a fresh autograd leaf with no gradient (`optimizer.zero_grad()`):
  /// call before the forward whose `backward()` this optimizer's next `step()` uses.
  public func zeroGrad() { OptimizerSteps.zeroGrad(parameters) }

  /// Updates every parameter that has a gradient and returns how many were updated.
  @discardableResult
  public func step() throws -> Int {
    try OptimizerSteps.step(parameters, op: "SGD") { try update($0, grad: $1) }
  }

  /// Restores momentum buffers saved from `momentumBuffers` (resuming a run); every path must
  /// name one of this optimizer's parameters with the same shape.
  public func loadMomentumBuffers(_ buffers: [String: Tensor]) throws {
    let shapes = Dictionary(uniqueKeysWithValues: parameters.map { ($0.path, $0.shape) })
    for (path, t) in buffers {
      guard let shape = shapes[path] else {
        throw TensorError.invalidArgument(op: "SGD", reason: "momentum buffer for unknown parameter \(path)")
      }
      guard t.shape == shape else {
        throw TensorError.shapeMismatch(
          op: "SGD", shapes: [shape, t.shape], reason: "momentum buffer of \(path) does not match the parameter")
      }
    }
    momentumBuffers = buffers.mapValues { $0.converted(to: .float32).detached() }
  }

  private func update(_ p: Parameter, grad: Tensor) throws {
    let (lr, wd, mu, damp, nesterov) = (learningRate, weightDecay, momentum, dampening, nesterov)
    let value = try p.value.fp32RowMajor()
    let g = try grad.fp32RowMajor()
    let previous = try momentumBuffers[p.path]?.fp32RowMajor()
    let out = Tensor.empty(p.shape)
    let buffer = mu != 0 ? Tensor.empty(p.shape) : nil
    let (pv, gv, ov) = (value.floats(), g.floats(), out.floats())
    let (bv, old) = (buffer?.floats(), previous?.floats())
    // One pass per element, in PyTorch's order of operations (AGFASNN has no thread pool;
    // this is bandwidth-bound and small next to the backward pass).
    for i in 0..<out.count {
      var d = gv[i] + wd * pv[i]
      if let bv {
        let b = old != nil ? mu * old![i] + (1 - damp) * d : d
        bv[i] = b
        d = nesterov ? d + mu * b : b
      }
      ov[i] = pv[i] - lr * d
    }
    withExtendedLifetime((value, g, previous)) {}
    if let buffer { momentumBuffers[p.path] = buffer }
    p.value = p.value.dtype == .float32 ? out : out.converted(to: p.value.dtype)
  }
}
