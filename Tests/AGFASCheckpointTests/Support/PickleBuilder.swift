/// Hand-assembled pickles (protocol 2 opcodes) for inputs torch would never write.
struct PickleBuilder {
  var bytes: [UInt8] = [0x80, 0x02]

  mutating func op(_ codes: UInt8...) { bytes += codes }
  mutating func le(_ v: UInt64, _ n: Int) { bytes += (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
  mutating func text(_ s: String) { bytes += Array(s.utf8) + [0x0A] }

  mutating func global(_ module: String, _ name: String) {
    op(0x63)
    text(module)
    text(name)
  }

  mutating func string(_ s: String) {
    op(0x58)
    le(UInt64(s.utf8.count), 4)
    bytes += Array(s.utf8)
  }

  mutating func int(_ i: Int32) {
    op(0x4A)
    le(UInt64(UInt32(bitPattern: i)), 4)
  }

  /// Any 64-bit integer, as LONG1 with 8 bytes.
  mutating func long(_ i: Int) {
    op(0x8A, 8)
    le(UInt64(bitPattern: Int64(i)), 8)
  }

  mutating func put(_ i: Int) {
    op(0x72)
    le(UInt64(i), 4)
  }

  mutating func get(_ i: Int) {
    op(0x6A)
    le(UInt64(i), 4)
  }

  /// `_rebuild_tensor_v2(storage(key, FloatStorage, count), offset, size, stride, False, OrderedDict())`.
  mutating func tensor(key: String, count: Int32, offset: Int32, size: [Int32], stride: [Int32]) {
    global("torch._utils", "_rebuild_tensor_v2")
    op(0x28, 0x28)  // MARK (args), MARK (persistent id)
    string("storage")
    global("torch", "FloatStorage")
    string(key)
    string("cpu")
    int(count)
    op(0x74, 0x51)  // TUPLE, BINPERSID
    int(offset)
    op(0x28)
    for s in size { int(s) }
    op(0x74, 0x28)
    for s in stride { int(s) }
    op(0x74, 0x89)  // TUPLE, NEWFALSE
    global("collections", "OrderedDict")
    op(0x29, 0x52, 0x74, 0x52)  // EMPTY_TUPLE, REDUCE, TUPLE (args), REDUCE
  }

  /// Like the other `tensor`, with 64-bit sizes and strides (LONG1), for absurd shapes.
  mutating func tensor(key: String, count: Int32, size: [Int], stride: [Int]) {
    global("torch._utils", "_rebuild_tensor_v2")
    op(0x28, 0x28)
    string("storage")
    global("torch", "FloatStorage")
    string(key)
    string("cpu")
    int(count)
    op(0x74, 0x51)
    int(0)
    op(0x28)
    for s in size { long(s) }
    op(0x74, 0x28)
    for s in stride { long(s) }
    op(0x74, 0x89)
    global("collections", "OrderedDict")
    op(0x29, 0x52, 0x74, 0x52)
  }

  mutating func stop() { op(0x2E) }
}
