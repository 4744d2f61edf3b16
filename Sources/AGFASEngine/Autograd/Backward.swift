extension Tensor {
  /// Back-propagates from this tensor, adding into the `grad` of every leaf it depends on.
  /// `seed` is the gradient of this tensor (default: ones, which needs a one-element tensor).
  public func backward(_ seed: Tensor? = nil) throws {
    guard let root = node else {
      throw TensorError.autograd("backward() on a tensor with no autograd history")
    }
    let start: Tensor
    if let seed {
      guard seed.shape == shape else {
        throw TensorError.shapeMismatch(
          op: "backward", shapes: [shape, seed.shape], reason: "seed must match the output")
      }
      start = seed.detached().convertedUntracked(to: dtype)
    } else {
      guard count == 1 else {
        throw TensorError.autograd("backward() without a seed needs a one-element output, got shape \(shape)")
      }
      start = Tensor.ones(shape, dtype: dtype)
    }
    try withoutGrad {
      let order = GradNode.topologicalOrder(from: root)
      var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): start]
      for node in order.reversed() {
        guard let g = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
        guard let backward = node.backward else {
          node.grad = try node.grad.map { try $0.accumulating(g) } ?? g
          continue
        }
        let grads = try backward(g)
        precondition(
          grads.count == node.inputs.count,
          "\(node.op): backward returned \(grads.count) grads for \(node.inputs.count) inputs")
        for (input, grad) in zip(node.inputs, grads) {
          guard let input, let grad else { continue }
          let key = ObjectIdentifier(input)
          pending[key] = try pending[key].map { try $0.accumulating(grad) } ?? grad
        }
      }
    }
  }
}

extension GradNode {
  /// Nodes reachable from `root`, each after all of its inputs (iterative: graphs can be deep).
  static func topologicalOrder(from root: GradNode) -> [GradNode] {
    var order: [GradNode] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(GradNode, Int)] = [(root, 0)]
    visited.insert(ObjectIdentifier(root))
    while let (node, next) = stack.popLast() {
      if next < node.inputs.count {
        stack.append((node, next + 1))
        if let child = node.inputs[next], visited.insert(ObjectIdentifier(child)).inserted {
          stack.append((child, 0))
        }
      } else {
        order.append(node)
      }
    }
    return order
  }
}

extension Tensor {
  /// Sum of two gradients of the same shape (layouts and dtypes may differ).
  func accumulating(_ other: Tensor) throws -> Tensor {
    guard shape == other.shape else {
      throw TensorError.shapeMismatch(
        op: "grad accumulation", shapes: [shape, other.shape], reason: "gradients must match")
    }
    return try self.adding(other)
  }
}
