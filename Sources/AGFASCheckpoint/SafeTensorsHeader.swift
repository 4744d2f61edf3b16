import AGFASEngine
import AGFASJSON

/// The JSON header of a safetensors file, read strictly and checked as the safetensors
/// library checks it: every entry has a known dtype, a shape of non-negative integers whose
/// byte size fits and equals its `data_offsets` span, and the spans, sorted, tile the data
/// section exactly (no overlap, no gap, nothing left over). Overlapping spans would let two
/// tensors alias the same bytes, which no writer produces.
struct SafeTensorsHeader {
  typealias Entry = SafeTensorsFile.Entry

  var entries: [String: Entry] = [:]
  var metadata: [String: String] = [:]

  /// Parses `json` (the header bytes) for a data section of `dataBytes` bytes.
  /// Errors are `CheckpointError`s naming `path` and, where one is at fault, the tensor.
  init(json: UnsafeRawBufferPointer, dataBytes: Int, path: String, limits: CheckpointLimits) throws {
    var cursor = JSONCursor(json)
    var entries: [String: Entry] = [:]
    var metadata: [String: String] = [:]
    guard cursor.peek() == UInt8(ascii: "{") else {
      throw CheckpointError.malformed(path: path, reason: "header is not a JSON object")
    }
    do {
      try cursor.object("the header") { c, name in
        if name == "__metadata__" {
          if c.peek() == UInt8(ascii: "n") {
            try c.skipValue("__metadata__")  // null: no metadata
            return
          }
          try c.object("__metadata__") { c, key in metadata[key] = try c.string("__metadata__ value '\(key)'") }
          return
        }
        guard entries.count < limits.maxHeaderEntries else {
          throw c.fail("the header lists more than \(limits.maxHeaderEntries) tensors (the reader's limit)")
        }
        entries[name] = try Self.entry(&c, name: name, path: path)
      }
      guard cursor.peek() == nil else { throw cursor.fail("text follows the header object") }
    } catch let f as JSONCursor.Failure {
      throw CheckpointError.malformed(path: path, reason: "header: " + f.reason)
    }
    try Self.checkTiling(entries, dataBytes: dataBytes, path: path)
    self.entries = entries
    self.metadata = metadata
  }

  /// One tensor's `{"dtype", "shape", "data_offsets"}`; other keys are ignored, as the
  /// safetensors library ignores them, but still may not repeat.
  private static func entry(_ c: inout JSONCursor, name: String, path: String) throws -> Entry {
    var dtype: String?
    var shape: [Int]?
    var offsets: [Int]?
    let what = "tensor '\(name)'"
    try c.object(what) { c, key in
      switch key {
      case "dtype": dtype = try c.string("\(what) dtype")
      case "shape": shape = try c.integers("\(what) shape")
      case "data_offsets": offsets = try c.integers("\(what) data_offsets")
      default: try c.skipValue("\(what) \(key)")
      }
    }
    guard let dtype, let shape, let offsets else {
      let missing = [("dtype", dtype == nil), ("shape", shape == nil), ("data_offsets", offsets == nil)]
        .filter(\.1).map(\.0)
      throw CheckpointError.malformed(
        path: path, reason: "bad header entry for '\(name)': no \(missing.joined(separator: ", "))")
    }
    guard offsets.count == 2, offsets[0] <= offsets[1] else {
      throw CheckpointError.malformed(
        path: path, reason: "bad header entry for '\(name)': data_offsets \(offsets) is not [begin, end]")
    }
    guard let size = SafeTensorsFile.elementSize(dtype) else {
      throw CheckpointError.unsupportedDType(path: path, name: name, dtype: dtype)
    }
    // Overflow-checked: a hostile header may claim shapes whose size or strides exceed Int.
    guard let count = Shape.checkedCount(shape), Shape.checkedStrides(shape) != nil,
      case (let bytes, let overflow) = count.multipliedReportingOverflow(by: size), !overflow
    else {
      throw CheckpointError.malformed(
        path: path, reason: "tensor '\(name)': shape \(shape) is too large (its size overflows)")
    }
    guard offsets[1] - offsets[0] == bytes else {
      throw CheckpointError.malformed(
        path: path, reason: "'\(name)': \(offsets[1] - offsets[0]) bytes for shape \(shape) of \(dtype)")
    }
    return Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
  }

  /// The spans sorted by offset must follow one another from 0 to exactly `dataBytes`.
  private static func checkTiling(_ entries: [String: Entry], dataBytes: Int, path: String) throws {
    func fail(_ reason: String) -> CheckpointError { .malformed(path: path, reason: reason) }
    let sorted = entries.sorted {
      ($0.value.range.lowerBound, $0.value.range.upperBound, $0.key)
        < ($1.value.range.lowerBound, $1.value.range.upperBound, $1.key)
    }
    var end = 0
    var previous: String?
    for (name, e) in sorted {
      guard e.range.upperBound <= dataBytes else {
        throw fail(
          "bad header entry for '\(name)': data_offsets [\(e.range.lowerBound), \(e.range.upperBound)] "
            + "run past the \(dataBytes) bytes of data")
      }
      if e.range.lowerBound < end, let previous {
        throw fail("tensor '\(name)' (data bytes \(e.range)) overlaps tensor '\(previous)', which ends at byte \(end)")
      }
      guard e.range.lowerBound == end else {
        throw fail("data bytes \(end)..<\(e.range.lowerBound) belong to no tensor (a gap before '\(name)')")
      }
      end = e.range.upperBound
      previous = name
    }
    guard end == dataBytes else {
      throw fail("the tensors cover \(end) bytes of data, but the file holds \(dataBytes) after the header")
    }
  }
}
