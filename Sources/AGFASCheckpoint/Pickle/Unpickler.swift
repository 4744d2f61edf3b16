import Foundation

/// A pickle reader that interprets data, never code: it builds values from the opcodes that
/// `torch.save` and Python's pickle (protocols 2-5) emit for state dicts, and refuses any
/// class or function outside `PickleGlobals`.
public struct Unpickler {
  /// Resolves a persistent id (torch's storages) to the object it names.
  typealias PersistentLoad = (CheckpointValue) throws -> PickleNode

  private var reader: PickleReader
  private let persistentLoad: PersistentLoad?
  private var stack: [PickleNode] = []
  private var marks: [Int] = []
  private var memo: [Int: PickleNode] = [:]
  /// Every box made, so teardown can empty them one by one instead of releasing a deeply
  /// nested graph recursively (which could exhaust the stack).
  private var boxes: [PickleBox] = []
  /// Objects made so far (values pushed, memo entries) and how many are allowed: a budget
  /// proportional to the file, checked after every opcode, so a pickle of tens of millions
  /// of tiny items is refused before it takes gigabytes (see `CheckpointLimits`).
  private var objects = 0
  private let maxObjects: Int

  /// Where reading stops: after the STOP of the last pickle loaded.
  var position: Int { reader.position }

  /// A reader of the pickle at `position` in `bytes`, allowed `maxObjects` objects (by
  /// default the standard limit for a file the size of `bytes`).
  init(
    _ bytes: UnsafeRawBufferPointer, position: Int = 0, maxObjects: Int? = nil,
    persistentLoad: PersistentLoad? = nil
  ) {
    reader = PickleReader(bytes, position: position)
    self.persistentLoad = persistentLoad
    self.maxObjects = maxObjects ?? CheckpointLimits.standard.pickleObjects(fileBytes: bytes.count)
  }

  /// Reads one pickle (up to its STOP) and returns its value.
  mutating func load() throws -> CheckpointValue {
    defer { teardown() }
    while true {
      let at = reader.position
      let code = try reader.byte()
      guard let op = PickleOpcode(rawValue: code) else {
        throw PickleError.unsupportedOpcode(position: at, opcode: code)
      }
      do {
        if op == .stop {
          var freezer = PickleFreezer()
          return try freezer.freeze(try pop())
        }
        try execute(op, at: at)
        guard objects <= maxObjects else {
          throw PickleError.malformed(
            position: nil,
            reason: "the pickle makes more than \(maxObjects) objects, the limit for its file (see docs/checkpoints.md)"
          )
        }
      } catch PickleError.malformed(nil, let reason) {
        throw PickleError.malformed(position: at, reason: reason)
      }
    }
  }

  /// Reads a whole byte buffer holding one pickle that must not name storages (a plain
  /// Python pickle). Throws `PickleError`.
  public static func load(_ bytes: [UInt8]) throws -> CheckpointValue {
    try bytes.withUnsafeBytes { raw in
      var u = Unpickler(raw)
      return try u.load()
    }
  }

  private mutating func teardown() {
    for b in boxes {
      b.items.removeAll()
      b.values.removeAll()
    }
    boxes.removeAll()
    stack.removeAll()
    marks.removeAll()
    memo.removeAll()
  }

  private mutating func push(_ node: PickleNode) {
    objects += 1
    stack.append(node)
  }
  private mutating func push(_ value: CheckpointValue) { push(.value(value)) }

  private mutating func newBox(_ kind: PickleBox.Kind, _ items: [PickleNode] = []) -> PickleBox {
    let b = PickleBox(kind, items)
    boxes.append(b)
    return b
  }

  private mutating func box(_ kind: PickleBox.Kind, _ items: [PickleNode] = []) -> PickleNode {
    .box(newBox(kind, items))
  }

  private mutating func pop() throws -> PickleNode {
    guard stack.count > (marks.last ?? 0), let top = stack.popLast() else {
      throw PickleError.malformed(position: nil, reason: "stack underflow")
    }
    return top
  }

  /// The items pushed since the last MARK, removing them and the mark.
  private mutating func popToMark() throws -> [PickleNode] {
    guard let mark = marks.popLast() else {
      throw PickleError.malformed(position: nil, reason: "no MARK on the stack")
    }
    defer { stack.removeSubrange(mark...) }
    return Array(stack[mark...])
  }

  private mutating func top(_ kinds: Set<PickleBox.Kind>, for what: String) throws -> PickleBox {
    guard stack.count > (marks.last ?? 0), case .box(let b) = stack[stack.count - 1], kinds.contains(b.kind) else {
      throw PickleError.malformed(
        position: nil, reason: "\(what) needs a \(kinds.map { "\($0)" }.sorted().joined(separator: " or ")) below it")
    }
    return b
  }

  private func string(_ node: PickleNode, _ what: String) throws -> String {
    guard case .value(.string(let s)) = node else {
      throw PickleError.malformed(position: nil, reason: "\(what) is \(PickleGlobals.kind(node)), not a string")
    }
    return s
  }

  private mutating func memoGet(_ index: Int) throws -> PickleNode {
    guard let n = memo[index] else { throw PickleError.malformed(position: nil, reason: "memo \(index) is unset") }
    return n
  }

  private mutating func memoPut(_ index: Int) throws {
    guard let top = stack.last, stack.count > (marks.last ?? 0) else {
      throw PickleError.malformed(position: nil, reason: "nothing to memoize")
    }
    objects += 1
    memo[index] = top
  }

  private mutating func persistent(_ pid: PickleNode) throws -> PickleNode {
    guard let persistentLoad else {
      throw PickleError.malformed(position: nil, reason: "persistent id in a pickle that cannot name storages")
    }
    var freezer = PickleFreezer()
    return try persistentLoad(try freezer.freeze(pid))
  }

  private mutating func text(_ line: String, as what: String) throws -> Int {
    guard let v = Int(line.hasSuffix("L") ? String(line.dropLast()) : line) else {
      throw PickleError.malformed(position: nil, reason: "bad \(what) '\(line)'")
    }
    return v
  }

  private mutating func execute(_ op: PickleOpcode, at: Int) throws {
    switch op {
    case .proto:
      let v = try reader.byte()
      guard v <= 5 else { throw PickleError.malformed(position: nil, reason: "unknown protocol \(v)") }
    case .frame: _ = try reader.uint(8)
    case .mark: marks.append(stack.count)
    case .pop: _ = try pop()
    case .popMark: _ = try popToMark()
    case .dup:
      let t = try pop()
      push(t)
      push(t)
    case .none: push(.none)
    case .newTrue: push(.bool(true))
    case .newFalse: push(.bool(false))
    case .binInt: push(.int(Int(Int32(bitPattern: UInt32(try reader.uint(4))))))
    case .binInt1: push(.int(Int(try reader.uint(1))))
    case .binInt2: push(.int(Int(try reader.uint(2))))
    case .long1: push(try reader.long(Int(try reader.uint(1))))
    case .long4: push(try reader.long(try reader.length(4)))
    case .int:
      let line = try reader.line()
      push(line == "01" ? .bool(true) : line == "00" ? .bool(false) : .int(try text(line, as: "INT")))
    case .long: push(.int(try text(try reader.line(), as: "LONG")))
    case .float:
      let line = try reader.line()
      guard let d = Double(line) else { throw PickleError.malformed(position: nil, reason: "bad FLOAT '\(line)'") }
      push(.float(d))
    case .binFloat: push(.float(Double(bitPattern: try reader.uint(8).byteSwapped)))
    case .binUnicode, .binString: push(.string(try reader.string(try reader.length(4))))
    case .shortBinUnicode, .shortBinString: push(.string(try reader.string(try reader.length(1))))
    case .binUnicode8: push(.string(try reader.string(try reader.length(8))))
    case .binBytes: push(.bytes(Array(try reader.take(try reader.length(4)))))
    case .shortBinBytes: push(.bytes(Array(try reader.take(try reader.length(1)))))
    case .binBytes8, .byteArray8: push(.bytes(Array(try reader.take(try reader.length(8)))))
    case .emptyTuple: push(box(.tuple))
    case .tuple: push(box(.tuple, try popToMark()))
    case .tuple1, .tuple2, .tuple3:
      let n = Int(op.rawValue - PickleOpcode.tuple1.rawValue) + 1
      var items = try (0..<n).map { _ in try pop() }
      items.reverse()
      push(box(.tuple, items))
    case .emptyList: push(box(.list))
    case .list: push(box(.list, try popToMark()))
    case .append:
      let v = try pop()
      try top([.list], for: "APPEND").items.append(v)
    case .appends, .addItems:
      let items = try popToMark()
      try top([.list], for: "\(op)").items.append(contentsOf: items)
    case .emptySet: push(box(.list))
    case .frozenSet: push(box(.list, try popToMark()))
    case .emptyDict: push(box(.dict))
    case .dict:
      let items = try popToMark()
      guard items.count % 2 == 0 else { throw PickleError.malformed(position: nil, reason: "DICT with odd items") }
      let d = newBox(.dict)
      for i in stride(from: 0, to: items.count, by: 2) { d.setItem(items[i], items[i + 1]) }
      push(.box(d))
    case .setItem:
      let v = try pop()
      let k = try pop()
      try top([.dict], for: "SETITEM").setItem(k, v)
    case .setItems:
      let items = try popToMark()
      guard items.count % 2 == 0 else { throw PickleError.malformed(position: nil, reason: "SETITEMS with odd items") }
      let d = try top([.dict], for: "SETITEMS")
      for i in stride(from: 0, to: items.count, by: 2) { d.setItem(items[i], items[i + 1]) }
    case .binPut: try memoPut(Int(try reader.uint(1)))
    case .longBinPut: try memoPut(Int(try reader.uint(4)))
    case .put: try memoPut(try text(try reader.line(), as: "PUT index"))
    case .memoize: try memoPut(memo.count)
    case .binGet: push(try memoGet(Int(try reader.uint(1))))
    case .longBinGet: push(try memoGet(Int(try reader.uint(4))))
    case .get: push(try memoGet(try text(try reader.line(), as: "GET index")))
    case .global:
      let module = try reader.line()
      push(try PickleGlobals.resolve(module: module, name: try reader.line()))
    case .stackGlobal:
      let name = try string(try pop(), "STACK_GLOBAL name")
      push(try PickleGlobals.resolve(module: try string(try pop(), "STACK_GLOBAL module"), name: name))
    case .inst:
      let module = try reader.line()
      let callee = try PickleGlobals.resolve(module: module, name: try reader.line())
      push(try call(callee, try popToMark()))
    case .obj:
      var items = try popToMark()
      guard !items.isEmpty else { throw PickleError.malformed(position: nil, reason: "OBJ without a class") }
      push(try call(items.removeFirst(), items))
    case .reduce, .newObj:
      let args = try pop()
      let callee = try pop()
      guard case .box(let a) = args, a.kind == .tuple else {
        throw PickleError.malformed(position: nil, reason: "\(op) arguments are not a tuple")
      }
      push(try call(callee, a.items))
    case .newObjEx:
      let kwargs = try pop()
      let args = try pop()
      let callee = try pop()
      guard case .box(let a) = args, a.kind == .tuple, case .box(let k) = kwargs, k.items.isEmpty else {
        throw PickleError.malformed(position: nil, reason: "NEWOBJ_EX needs an argument tuple and no keywords")
      }
      push(try call(callee, a.items))
    case .build:
      let state = try pop()
      guard let object = stack.last, stack.count > (marks.last ?? 0) else {
        throw PickleError.malformed(position: nil, reason: "BUILD without an object")
      }
      try PickleGlobals.build(object, state: state)
    case .binPersID: push(try persistent(try pop()))
    case .persID: push(try persistent(.value(.string(try reader.line()))))
    case .string, .unicode, .ext1, .ext2, .ext4, .nextBuffer, .readonlyBuffer, .stop:
      throw PickleError.unsupportedOpcode(position: at, opcode: op.rawValue)
    }
  }

  /// Calls an allowed global; boxes it returns join the teardown list.
  private mutating func call(_ callee: PickleNode, _ args: [PickleNode]) throws -> PickleNode {
    let result = try PickleGlobals.call(callee, args)
    if case .box(let b) = result { boxes.append(b) }
    return result
  }
}
