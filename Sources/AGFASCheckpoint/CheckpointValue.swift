/// What a checkpoint file holds: the object tree `torch.load` would return, with tensors as
/// unread `CheckpointTensor`s. Dicts keep file order; their keys are usually strings, sometimes
/// ints (optimizer state).
public indirect enum CheckpointValue: @unchecked Sendable {
  case none
  case bool(Bool)
  case int(Int)
  /// An integer too wide for `Int`: its little-endian two's-complement bytes, as pickled.
  case bigInt([UInt8])
  case float(Double)
  case string(String)
  case bytes([UInt8])
  /// A Python list (sets come out as lists too).
  case list([CheckpointValue])
  case tuple([CheckpointValue])
  /// A dict or OrderedDict, in insertion order.
  case dict([(key: CheckpointValue, value: CheckpointValue)])
  case tensor(CheckpointTensor)
  /// A reference to an allowed class or function kept as data (e.g. a storage type).
  case global(module: String, name: String)
}

/// Unpickled values are checkpoint values: the unpickler builds tensors directly.
public typealias PickleValue = CheckpointValue

extension CheckpointValue {
  /// The value under a string key of a dict; nil for other values or a missing key.
  public subscript(key: String) -> CheckpointValue? {
    guard case .dict(let items) = self else { return nil }
    return items.first { if case .string(key) = $0.key { true } else { false } }?.value
  }

  /// The element at `index` of a list or tuple, or the value under an int key of a dict.
  public subscript(index: Int) -> CheckpointValue? {
    switch self {
    case .list(let a), .tuple(let a): return a.indices.contains(index) ? a[index] : nil
    case .dict(let items): return items.first { if case .int(index) = $0.key { true } else { false } }?.value
    default: return nil
    }
  }

  /// The entries of a dict; nil for other values.
  public var entries: [(key: CheckpointValue, value: CheckpointValue)]? {
    if case .dict(let items) = self { items } else { nil }
  }

  /// The elements of a list or tuple; nil for other values.
  public var elements: [CheckpointValue]? {
    switch self {
    case .list(let a), .tuple(let a): a
    default: nil
    }
  }

  public var tensor: CheckpointTensor? { if case .tensor(let t) = self { t } else { nil } }
  public var string: String? { if case .string(let s) = self { s } else { nil } }
  public var int: Int? { if case .int(let i) = self { i } else { nil } }
  public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
  /// A float, or an int widened to a float.
  public var double: Double? {
    switch self {
    case .float(let d): d
    case .int(let i): Double(i)
    default: nil
    }
  }

  /// The text used for a dict key or list index in a dotted tensor name.
  var nameComponent: String {
    switch self {
    case .string(let s): s
    case .int(let i): String(i)
    case .bool(let b): b ? "True" : "False"
    case .none: "None"
    default: description
    }
  }
}

extension CheckpointValue: CustomStringConvertible {
  /// A short, Python-like rendering (containers abbreviated).
  public var description: String {
    switch self {
    case .none: return "None"
    case .bool(let b): return b ? "True" : "False"
    case .int(let i): return String(i)
    case .bigInt(let bytes): return "int(\(bytes.count) bytes)"
    case .float(let d): return String(d)
    case .string(let s): return "'\(s)'"
    case .bytes(let b): return "bytes(\(b.count))"
    case .list(let a): return "[" + Self.abbreviate(a.map(\.description)) + "]"
    case .tuple(let a): return "(" + Self.abbreviate(a.map(\.description)) + (a.count == 1 ? ",)" : ")")
    case .dict(let items): return "{" + Self.abbreviate(items.map { "\($0.key): \($0.value)" }) + "}"
    case .tensor(let t): return t.description
    case .global(let module, let name): return "\(module).\(name)"
    }
  }

  private static func abbreviate(_ parts: [String]) -> String {
    parts.count <= 6 ? parts.joined(separator: ", ") : parts.prefix(6).joined(separator: ", ") + ", ..."
  }
}
