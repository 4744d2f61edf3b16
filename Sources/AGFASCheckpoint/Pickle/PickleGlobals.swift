/// The only classes and functions a pickle may name, and what calling them means here.
/// Nothing is ever looked up or executed: each allowed name maps to a fixed Swift behaviour
/// that builds plain data (a dict, a tuple, a tensor view over a storage).
enum PickleGlobals {
  static let callable: Set<String> = [
    "collections.OrderedDict",
    "builtins.set", "builtins.frozenset",
    "__builtin__.set", "__builtin__.frozenset",  // protocol 2 writes Python 2 module names
    "torch.Size",
    "_codecs.encode",  // protocol 2 writes bytes as _codecs.encode(str, 'latin1')
    "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
    // numpy scalars (the reference's checkpoints keep metrics as numpy floats): numpy 1 and 2
    // module names. Decoded to plain numbers; numpy arrays stay refused.
    "numpy.dtype", "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
  ]

  /// The global `module.name` as a value, or `forbiddenGlobal` when it is not allowed.
  static func resolve(module: String, name: String) throws -> PickleNode {
    let isStorageType = module == "torch" && TorchDType(storageType: name) != nil
    guard isStorageType || callable.contains("\(module).\(name)") else {
      throw PickleError.forbiddenGlobal(module: module, name: name)
    }
    return .value(.global(module: module, name: name))
  }

  /// REDUCE / NEWOBJ: applies an allowed global to its arguments.
  static func call(_ callee: PickleNode, _ args: [PickleNode]) throws -> PickleNode {
    guard case .value(.global(let module, let name)) = callee else {
      throw PickleError.malformed(position: nil, reason: "call of a non-global \(kind(callee))")
    }
    let qualified = "\(module).\(name)"
    func bad() -> PickleError {
      .malformed(position: nil, reason: "\(qualified) called with \(args.count) unexpected arguments")
    }
    switch qualified {
    case "collections.OrderedDict":
      guard args.isEmpty else { throw bad() }
      return .box(PickleBox(.dict))
    case "builtins.set", "builtins.frozenset", "__builtin__.set", "__builtin__.frozenset":
      if args.isEmpty { return .box(PickleBox(.list)) }
      guard args.count == 1, case .box(let items) = args[0], items.kind != .dict else { throw bad() }
      return .box(PickleBox(.list, items.items))
    case "torch.Size":
      guard args.count == 1, case .box(let items) = args[0], items.kind != .dict else { throw bad() }
      return .box(PickleBox(.tuple, items.items))
    case "_codecs.encode":
      guard args.count == 2, case .value(.string(let text)) = args[0],
        case .value(.string(let encoding)) = args[1], ["latin1", "latin-1"].contains(encoding.lowercased()),
        text.unicodeScalars.allSatisfy({ $0.value < 256 })
      else { throw bad() }
      return .value(.bytes(text.unicodeScalars.map { UInt8($0.value) }))
    case "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2":
      guard args.count >= 4, case .storage(let storage) = args[0], let offset = int(args[1]),
        let size = ints(args[2]), let stride = ints(args[3])
      else { throw bad() }
      return .value(.tensor(try CheckpointTensor(storage: storage, offset: offset, shape: size, strides: stride)))
    case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
      guard args.count >= 3, case .value(.tensor) = args[0] else { throw bad() }
      return args[0]
    case "numpy.dtype":
      // dtype('f8', False, True): kept as a marker holding its type code until `scalar`.
      guard args.count == 3, case .value(.string(let code)) = args[0] else { throw bad() }
      return .value(.global(module: "numpy.dtype", name: code))
    case "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar":
      guard args.count == 2, case .value(.global("numpy.dtype", let code)) = args[0],
        case .value(.bytes(let raw)) = args[1]
      else { throw bad() }
      return .value(try numpyScalar(code: code, bytes: raw))
    default:
      throw PickleError.malformed(position: nil, reason: "\(qualified) cannot be called")
    }
  }

  /// BUILD: sets state on an object. Only state dicts' `_metadata` and tensor attributes
  /// arrive this way; neither carries weights, so the state is dropped.
  static func build(_ object: PickleNode, state: PickleNode) throws {
    switch object {
    case .box(let b) where b.kind == .dict: return
    case .value(.tensor): return
    case .value(.global("numpy.dtype", let code)):
      // State (version, byte order, ...): scalars are read little-endian, so refuse '>'.
      if case .box(let t) = state, t.items.count > 1, case .value(.string(">")) = t.items[1] {
        throw PickleError.malformed(position: nil, reason: "big-endian numpy scalar of dtype \(code)")
      }
      return
    default: throw PickleError.malformed(position: nil, reason: "cannot set state on \(kind(object))")
    }
  }

  /// A numpy scalar's value from its type code and little-endian bytes.
  static func numpyScalar(code: String, bytes raw: [UInt8]) throws -> CheckpointValue {
    func word(_ n: Int) throws -> UInt64 {
      guard raw.count == n else {
        throw PickleError.malformed(position: nil, reason: "numpy \(code) scalar of \(raw.count) bytes")
      }
      return raw.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }
    switch code {
    case "f8": return .float(Double(bitPattern: try word(8)))
    case "f4": return .float(Double(Float(bitPattern: UInt32(try word(4)))))
    case "i8": return .int(Int(Int64(bitPattern: try word(8))))
    case "i4": return .int(Int(Int32(bitPattern: UInt32(try word(4)))))
    case "i2": return .int(Int(Int16(bitPattern: UInt16(try word(2)))))
    case "i1": return .int(Int(Int8(bitPattern: UInt8(try word(1)))))
    case "u8":
      let v = try word(8)
      guard v <= UInt64(Int.max) else { return .float(Double(v)) }
      return .int(Int(v))
    case "u4", "u2", "u1": return .int(Int(try word(Int(code.dropFirst())!)))
    case "b1": return .bool(try word(1) != 0)
    default:
      throw PickleError.malformed(position: nil, reason: "numpy scalar of dtype '\(code)' is not supported")
    }
  }

  static func int(_ node: PickleNode) -> Int? {
    if case .value(.int(let i)) = node { i } else { nil }
  }

  static func ints(_ node: PickleNode) -> [Int]? {
    guard case .box(let b) = node, b.kind != .dict else { return nil }
    let values = b.items.compactMap(int)
    return values.count == b.items.count ? values : nil
  }

  /// A short name of a node's kind for error messages.
  static func kind(_ node: PickleNode) -> String {
    switch node {
    case .value(let v): v.description
    case .storage(let s): "storage '\(s.key)'"
    case .box(let b): "\(b.kind)"
    }
  }
}
