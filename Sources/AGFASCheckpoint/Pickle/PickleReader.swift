/// A bounds-checked cursor over pickle bytes; every read past the end throws.
struct PickleReader {
  let bytes: UnsafeRawBufferPointer
  var position: Int

  init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
    self.bytes = bytes
    self.position = position
  }

  var remaining: Int { bytes.count - position }

  mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
    guard n >= 0, n <= remaining else {
      throw PickleError.malformed(position: position, reason: "\(n) bytes needed, past the end (\(remaining) left)")
    }
    defer { position += n }
    return UnsafeRawBufferPointer(rebasing: bytes[position..<position + n])
  }

  /// A little-endian unsigned integer of `n` bytes (n <= 8).
  mutating func uint(_ n: Int) throws -> UInt64 {
    try take(n).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
  }

  mutating func byte() throws -> UInt8 { UInt8(try uint(1)) }

  /// A length read as `n` little-endian bytes that must fit in what remains.
  mutating func length(_ n: Int) throws -> Int {
    let at = position
    let v = try uint(n)
    guard v <= UInt64(remaining) else {
      throw PickleError.malformed(position: at, reason: "length \(v) runs past the end (\(remaining) bytes left)")
    }
    return Int(v)
  }

  /// Bytes up to the next newline (text opcodes), without the newline.
  mutating func line() throws -> String {
    let start = position
    guard let end = bytes[start...].firstIndex(of: 0x0A) else {
      throw PickleError.malformed(position: start, reason: "unterminated text argument")
    }
    position = end + 1
    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
  }

  mutating func string(_ n: Int) throws -> String {
    String(decoding: try take(n), as: UTF8.self)
  }

  /// A little-endian two's-complement integer of any width (LONG1/LONG4).
  mutating func long(_ n: Int) throws -> CheckpointValue {
    let b = Array(try take(n))
    guard let last = b.last else { return .int(0) }
    let fill: UInt8 = last & 0x80 != 0 ? 0xFF : 0x00
    // Fits in Int when the bytes above 8 only repeat the sign of byte 7.
    if b.count > 8, !(b[8...].allSatisfy { $0 == fill } && (b[7] & 0x80 != 0) == (fill == 0xFF)) {
      return .bigInt(b)
    }
    var v: UInt64 = 0
    for i in (0..<8).reversed() { v = v << 8 | UInt64(i < b.count ? b[i] : fill) }
    return .int(Int(Int64(bitPattern: v)))
  }
}
