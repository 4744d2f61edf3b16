/// Writes small zip archives of stored entries, optionally with every size and offset in
/// ZIP64 extra fields (as torch's writer does for files over 4 GiB).
enum ZipBuilder {
  static func archive(_ entries: [(name: String, data: [UInt8])], zip64: Bool = false, method: UInt16 = 0) -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    func le(_ v: UInt64, _ n: Int, _ into: inout [UInt8]) {
      into += (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
    }
    for (name, data) in entries {
      let offset = UInt64(out.count)
      let nameBytes = Array(name.utf8)
      le(0x0403_4B50, 4, &out)
      le(20, 2, &out)
      le(0, 2, &out)
      le(UInt64(method), 2, &out)
      le(0, 8, &out)  // time, date, crc
      le(UInt64(data.count), 4, &out)
      le(UInt64(data.count), 4, &out)
      le(UInt64(nameBytes.count), 2, &out)
      le(0, 2, &out)
      out += nameBytes + data

      let big: UInt64 = 0xFFFF_FFFF
      le(0x0201_4B50, 4, &central)
      le(45, 2, &central)
      le(45, 2, &central)
      le(0, 2, &central)
      le(UInt64(method), 2, &central)
      le(0, 8, &central)
      le(zip64 ? big : UInt64(data.count), 4, &central)
      le(zip64 ? big : UInt64(data.count), 4, &central)
      le(UInt64(nameBytes.count), 2, &central)
      le(zip64 ? 28 : 0, 2, &central)
      le(0, 8, &central)  // comment length, disk, attributes
      le(0, 2, &central)
      le(zip64 ? big : offset, 4, &central)
      central += nameBytes
      if zip64 {
        le(1, 2, &central)
        le(24, 2, &central)
        le(UInt64(data.count), 8, &central)
        le(UInt64(data.count), 8, &central)
        le(offset, 8, &central)
      }
    }
    let cdOffset = UInt64(out.count)
    out += central
    if zip64 {
      let recordOffset = UInt64(out.count)
      le(0x0606_4B50, 4, &out)
      le(44, 8, &out)
      le(45, 2, &out)
      le(45, 2, &out)
      le(0, 8, &out)
      le(UInt64(entries.count), 8, &out)
      le(UInt64(entries.count), 8, &out)
      le(UInt64(central.count), 8, &out)
      le(cdOffset, 8, &out)
      le(0x0706_4B50, 4, &out)
      le(0, 4, &out)
      le(recordOffset, 8, &out)
      le(1, 4, &out)
    }
    le(0x0605_4B50, 4, &out)
    le(0, 4, &out)
    le(zip64 ? 0xFFFF : UInt64(entries.count), 2, &out)
    le(zip64 ? 0xFFFF : UInt64(entries.count), 2, &out)
    le(zip64 ? 0xFFFF_FFFF : UInt64(central.count), 4, &out)
    le(zip64 ? 0xFFFF_FFFF : cdOffset, 4, &out)
    le(0, 2, &out)
    return out
  }
}
