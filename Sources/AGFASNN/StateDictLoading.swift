import AGFASEngine

/// Why a checkpoint does not fit a model; every offending key is listed by name.
public struct StateDictMismatch: Error, CustomStringConvertible, Equatable {
  /// Model parameters the checkpoint lacks.
  public var missing: [String] = []
  /// Checkpoint tensors the model has no slot for (and that no ignore rule covers).
  public var unexpected: [String] = []
  /// Keys present in both with different shapes: (key, model shape, checkpoint shape).
  public var misshaped: [Misshaped] = []

  public struct Misshaped: Equatable, Sendable {
    public let key: String
    public let expected: [Int]
    public let found: [Int]

    public init(key: String, expected: [Int], found: [Int]) {
      self.key = key
      self.expected = expected
      self.found = found
    }
  }

  public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty }

  public var description: String {
    var parts: [String] = []
    if !missing.isEmpty { parts.append("missing keys: " + missing.joined(separator: ", ")) }
    if !unexpected.isEmpty { parts.append("unexpected keys: " + unexpected.joined(separator: ", ")) }
    if !misshaped.isEmpty {
      parts.append(
        "mis-shaped keys: "
          + misshaped.map { "\($0.key) (model \($0.expected), checkpoint \($0.found))" }.joined(separator: ", "))
    }
    return "checkpoint does not fit the model: " + parts.joined(separator: "; ")
  }
}

extension ParameterStore {
  /// Replaces every parameter's value with the checkpoint tensor of the same key.
  ///
  /// Nothing is changed unless every parameter is found with its shape and every checkpoint
  /// key is used or ignored: a partial load would silently mix weights. `ignoring` lists key
  /// prefixes the model deliberately leaves out (e.g. ArcFace's `fc.` and `features.`).
  /// Values keep the checkpoint's element type (fp32 or bf16).
  public func load(_ checkpoint: [String: Tensor], ignoring prefixes: [String] = []) throws {
    var report = StateDictMismatch()
    let params = all
    for p in params {
      guard let t = checkpoint[p.path] else {
        report.missing.append(p.path)
        continue
      }
      // PyTorch stores some scalars (e.g. num_batches_tracked) as shape [] where a model may
      // hold [1]; anything else must match exactly.
      if t.shape != p.shape && !(t.count == 1 && Shape.count(p.shape) == 1) {
        report.misshaped.append(.init(key: p.path, expected: p.shape, found: t.shape))
      }
    }
    let known = Set(params.map(\.path))
    report.unexpected = checkpoint.keys.filter { key in
      !known.contains(key) && !prefixes.contains { key.hasPrefix($0) }
    }.sorted()
    guard report.isEmpty else { throw report }
    for p in params {
      let t = checkpoint[p.path]!
      p.value = t.shape == p.shape ? t : try t.reshaped(p.shape)
    }
  }
}
