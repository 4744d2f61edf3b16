/// The unpickler's working objects. Lists and dicts are mutated after they are memoized
/// (SETITEMS fills a dict that BINPUT already stored), so containers are reference boxes;
/// they become immutable `CheckpointValue`s when the pickle stops.
enum PickleNode {
  /// A scalar, string, bytes, tensor or global: never contains other nodes.
  case value(CheckpointValue)
  case box(PickleBox)
  /// A storage named by a persistent id; tensors are rebuilt over it.
  case storage(TorchStorage)
}

/// A list, tuple or dict under construction.
final class PickleBox {
  enum Kind { case list, tuple, dict }
  let kind: Kind
  /// Elements, or dict keys.
  var items: [PickleNode]
  /// Dict values, parallel to `items`.
  var values: [PickleNode] = []
  /// Positions of hashable dict keys, so re-setting a key replaces its value as in Python.
  var index: [DictKey: Int] = [:]

  init(_ kind: Kind, _ items: [PickleNode] = []) {
    self.kind = kind
    self.items = items
  }

  enum DictKey: Hashable {
    case string(String)
    case int(Int)
  }

  func setItem(_ key: PickleNode, _ value: PickleNode) {
    let hashable: DictKey? =
      switch key {
      case .value(.string(let s)): .string(s)
      case .value(.int(let i)): .int(i)
      case .value(.bool(let b)): .int(b ? 1 : 0)  // Python: True == 1
      default: nil
      }
    if let hashable, let at = index[hashable] {
      values[at] = value
      return
    }
    if let hashable { index[hashable] = items.count }
    items.append(key)
    values.append(value)
  }
}

/// Turns the node graph into `CheckpointValue`s. Shared boxes are converted once; a size
/// budget stops pickles that share boxes to describe exponentially large trees, and a depth
/// limit stops nesting that would exhaust the stack.
struct PickleFreezer {
  static let maxDepth = 200
  static let maxNodes = 50_000_000

  private var done: [ObjectIdentifier: (value: CheckpointValue, size: Int)] = [:]
  private var active: Set<ObjectIdentifier> = []
  private var total = 0

  mutating func freeze(_ node: PickleNode) throws -> CheckpointValue {
    try freeze(node, depth: 0).value
  }

  private mutating func freeze(_ node: PickleNode, depth: Int) throws -> (value: CheckpointValue, size: Int) {
    switch node {
    case .value(let v): return try count(v, 1)
    case .storage(let s): return try count(.tensor(CheckpointTensor(wholeStorage: s)), 1)
    case .box(let box):
      let id = ObjectIdentifier(box)
      if let hit = done[id] { return try count(hit.value, hit.size) }
      guard depth < Self.maxDepth else {
        throw PickleError.malformed(position: nil, reason: "containers nested deeper than \(Self.maxDepth)")
      }
      guard active.insert(id).inserted else {
        throw PickleError.malformed(position: nil, reason: "a container contains itself")
      }
      defer { active.remove(id) }
      var size = 1
      func child(_ n: PickleNode) throws -> CheckpointValue {
        let r = try freeze(n, depth: depth + 1)
        size = min(size + r.size, Self.maxNodes + 1)
        return r.value
      }
      let value: CheckpointValue
      switch box.kind {
      case .list: value = .list(try box.items.map(child))
      case .tuple: value = .tuple(try box.items.map(child))
      case .dict: value = .dict(try zip(box.items, box.values).map { (try child($0), try child($1)) })
      }
      done[id] = (value, size)
      return (value, size)
    }
  }

  /// Charges `size` nodes to the budget.
  private mutating func count(_ value: CheckpointValue, _ size: Int) throws -> (value: CheckpointValue, size: Int) {
    total = min(total + size, Self.maxNodes + 1)
    guard total <= Self.maxNodes else {
      throw PickleError.malformed(position: nil, reason: "the pickle describes more than \(Self.maxNodes) objects")
    }
    return (value, size)
  }
}
