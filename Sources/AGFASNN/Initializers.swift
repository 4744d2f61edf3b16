import AGFASEngine

/// PyTorch's default initialisers, drawn from the store's torch-compatible generator so a
/// seeded AGFAS model starts where a seeded PyTorch model starts (same draw order).
extension WeightPath {
  /// `kaiming_uniform_(a=sqrt(5))` as nn.Linear/nn.Conv2d use: U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
  public func defaultWeight(_ name: String, _ shape: [Int], fanIn: Int) -> Parameter {
    let bound = 1 / Float(fanIn).squareRoot()
    return parameter(name, uniform(shape, bound: bound))
  }

  /// nn.Linear/nn.Conv2d's bias initialiser: U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
  public func defaultBias(_ name: String, _ count: Int, fanIn: Int) -> Parameter {
    let bound = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
    return parameter(name, uniform([count], bound: bound))
  }

  func uniform(_ shape: [Int], bound: Float) -> Tensor {
    switch store.initialization {
    case .torch:
      return try! Tensor(store.generator.uniform(Shape.count(shape), low: -bound, high: bound), shape: shape)
    case .fast:
      return Tensor.fastUniform(shape, low: -bound, high: bound, seed: fnv1a(key("")))
    case .uninitialized:
      return Tensor.empty(shape)
    }
  }

  /// A parameter drawn from N(mean, std) (nn.init.normal_).
  public func normalParameter(_ name: String, _ shape: [Int], mean: Float = 0, std: Float) -> Parameter {
    parameter(name, normal(name, shape, mean: mean, std: std))
  }

  /// Values for `name` drawn from N(mean, std) in the store's initialisation mode: to
  /// re-initialise a parameter a layer created with another initialiser.
  public func normal(_ name: String, _ shape: [Int], mean: Float = 0, std: Float) -> Tensor {
    switch store.initialization {
    case .torch:
      return try! Tensor(store.generator.normal(Shape.count(shape), mean: mean, std: std), shape: shape)
    case .fast:
      // Same mean and spread; uniform with the normal's standard deviation is enough for timing.
      let half = std * Float(3).squareRoot()
      return Tensor.fastUniform(shape, low: mean - half, high: mean + half, seed: fnv1a(key(name)))
    case .uninitialized:
      return Tensor.empty(shape)
    }
  }
}

/// A stable 64-bit hash (FNV-1a) of a parameter path, so `.fast` initialisation is the same in every run.
func fnv1a(_ s: String) -> UInt64 {
  s.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
}
