import AGFASEngine

extension ParameterStore {
  /// Loads one part of a model from a checkpoint of that part alone (a pretrained backbone
  /// inside a larger model), strictly within the part.
  ///
  /// - `prefix`: where the part sits in this store ("backbone."); it is prepended to every
  ///   checkpoint key. Parameters outside it are untouched and not required.
  /// - `ignoring`: checkpoint key prefixes dropped unread (e.g. torchvision's `fc.`).
  /// - `optional`: model paths the checkpoint may lack; they keep their current values.
  ///
  /// Every other parameter under `prefix` must be present with its shape, and every checkpoint
  /// key not ignored must name one; otherwise nothing changes and the error lists each key.
  public func load(
    _ checkpoint: [String: Tensor], into prefix: String, ignoring: [String] = [],
    optional: (String) -> Bool = { _ in false }
  ) throws {
    let part = all.filter { $0.path.hasPrefix(prefix) }
    var entries: [String: Tensor] = [:]
    for (key, t) in checkpoint where !ignoring.contains(where: { key.hasPrefix($0) }) {
      entries[prefix + key] = t
    }
    var report = StateDictMismatch()
    for p in part {
      guard let t = entries[p.path] else {
        if !optional(p.path) { report.missing.append(p.path) }
        continue
      }
      if t.shape != p.shape && !(t.count == 1 && Shape.count(p.shape) == 1) {
        report.misshaped.append(.init(key: p.path, expected: p.shape, found: t.shape))
      }
    }
    let known = Set(part.map(\.path))
    report.unexpected = entries.keys.filter { !known.contains($0) }.sorted()
    guard report.isEmpty else { throw report }
    for p in part {
      guard let t = entries[p.path] else { continue }
      p.value = t.shape == p.shape ? t : try t.reshaped(p.shape)
    }
  }
}
