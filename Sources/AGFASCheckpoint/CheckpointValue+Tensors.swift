/// Flattening a checkpoint's tree into named tensors, and the renames state dicts need.
extension CheckpointValue {
  /// Every tensor in the tree, named by the dict keys and list indices leading to it joined
  /// with "." (`state_dict.conv1.weight`, `optimizer.state.0.exp_avg`), in file order.
  public func namedTensors() -> [(name: String, tensor: CheckpointTensor)] {
    var out: [(name: String, tensor: CheckpointTensor)] = []
    collect(prefix: "", into: &out)
    return out
  }

  /// The listing `agfas inspect` prints: each tensor's dotted name, dtype and shape.
  public func tensors() -> [(name: String, dtype: String, shape: [Int])] {
    namedTensors().map { ($0.name, $0.tensor.dtype.rawValue, $0.tensor.shape) }
  }

  private func collect(prefix: String, into out: inout [(name: String, tensor: CheckpointTensor)]) {
    func child(_ component: String) -> String { prefix.isEmpty ? component : prefix + "." + component }
    switch self {
    case .tensor(let t): out.append((prefix, t))
    case .dict(let items):
      for (k, v) in items { v.collect(prefix: child(k.nameComponent), into: &out) }
    case .list(let a), .tuple(let a):
      for (i, v) in a.enumerated() { v.collect(prefix: child(String(i)), into: &out) }
    default: break
    }
  }

  /// This dict with `prefix` removed from the string keys that start with it (the `module.`
  /// that `nn.DataParallel` adds); other values are returned unchanged.
  public func strippingPrefix(_ prefix: String = "module.") -> CheckpointValue {
    guard case .dict(let items) = self else { return self }
    return .dict(
      items.map { item in
        guard case .string(let k) = item.key, k.hasPrefix(prefix) else { return item }
        return (.string(String(k.dropFirst(prefix.count))), item.value)
      })
  }

  /// The state dict inside a training checkpoint: the value under the first of `keys`
  /// that holds a dict, or this value itself when none does.
  public func stateDict(keys: [String] = ["state_dict", "model_state_dict", "model"]) -> CheckpointValue {
    for k in keys {
      if let v = self[k], v.entries != nil { return v }
    }
    return self
  }
}
