import AGFASEngine
import Foundation

/// Errors reading checkpoint files; each names the file and what was wrong.
public enum CheckpointError: Error, CustomStringConvertible {
  case unreadable(path: String, reason: String)
  case malformed(path: String, reason: String)
  case missingTensor(path: String, name: String)
  case unsupportedDType(path: String, name: String, dtype: String)

  public var description: String {
    switch self {
    case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
    case .malformed(let path, let reason): "\(path): not a valid checkpoint: \(reason)"
    case .missingTensor(let path, let name): "\(path): no tensor named '\(name)'"
    case .unsupportedDType(let path, let name, let dtype): "\(path): tensor '\(name)' has unsupported dtype \(dtype)"
    }
  }
}

/// A safetensors file: an 8-byte little-endian header length, a JSON header mapping names to
/// dtype, shape and byte offsets (plus optional string `__metadata__`), then the raw data.
public struct SafeTensorsFile {
  public struct Entry: Sendable {
    public let dtype: String
    public let shape: [Int]
    public let range: Range<Int>
  }

  public let path: String
  public let entries: [String: Entry]
  public let metadata: [String: String]
  private let data: Data
  private let dataStart: Int

  public init(path: String) throws {
    self.path = path
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
      throw CheckpointError.unreadable(path: path, reason: error.localizedDescription)
    }
    guard data.count >= 8 else {
      throw CheckpointError.malformed(
        path: path, reason: "file is \(data.count) bytes, shorter than the 8-byte header length")
    }
    let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) {
      $0 | UInt64($1.element) << (8 * UInt64($1.offset))
    }
    guard headerLength <= UInt64(data.count - 8) else {
      throw CheckpointError.malformed(
        path: path, reason: "header length \(headerLength) exceeds the file size \(data.count)")
    }
    let headerEnd = 8 + Int(headerLength)
    guard let json = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd)),
      let header = json as? [String: Any]
    else {
      throw CheckpointError.malformed(path: path, reason: "header is not a JSON object")
    }
    var entries: [String: Entry] = [:]
    var metadata: [String: String] = [:]
    let available = data.count - headerEnd
    for (name, value) in header {
      if name == "__metadata__" {
        metadata = (value as? [String: String]) ?? [:]
        continue
      }
      guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
        let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2,
        offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= available, shape.allSatisfy({ $0 >= 0 })
      else {
        throw CheckpointError.malformed(path: path, reason: "bad header entry for '\(name)'")
      }
      guard let size = SafeTensorsFile.elementSize(dtype) else {
        throw CheckpointError.unsupportedDType(path: path, name: name, dtype: dtype)
      }
      guard (offsets[1] - offsets[0]) == Shape.count(shape) * size else {
        throw CheckpointError.malformed(
          path: path, reason: "'\(name)': \(offsets[1] - offsets[0]) bytes for shape \(shape) of \(dtype)")
      }
      entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
    }
    self.entries = entries
    self.metadata = metadata
    self.data = data
    self.dataStart = headerEnd
  }

  static func elementSize(_ dtype: String) -> Int? {
    switch dtype {
    case "F64", "I64", "U64": 8
    case "F32", "I32", "U32": 4
    case "F16", "BF16", "I16", "U16": 2
    case "I8", "U8", "BOOL": 1
    default: nil
    }
  }

  /// Every tensor by name (a state dict).
  public func tensors() throws -> [String: Tensor] {
    try Dictionary(uniqueKeysWithValues: names.map { ($0, try tensor($0)) })
  }

  /// Tensor names, sorted.
  public var names: [String] { entries.keys.sorted() }

  /// The named tensor, as fp32 (or bf16 when stored as BF16).
  public func tensor(_ name: String) throws -> Tensor {
    guard let e = entries[name] else { throw CheckpointError.missingTensor(path: path, name: name) }
    let n = Shape.count(e.shape)
    let start = dataStart + e.range.lowerBound
    return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Tensor in
      let base = raw.baseAddress! + start
      switch e.dtype {
      case "F32":
        let t = Tensor.empty(e.shape, dtype: .float32)
        if n > 0 { t.storage.raw.copyMemory(from: base, byteCount: n * 4) }
        return t
      case "BF16":
        let t = Tensor.empty(e.shape, dtype: .bfloat16)
        if n > 0 { t.storage.raw.copyMemory(from: base, byteCount: n * 2) }
        return t
      case "F64":
        return try Tensor(
          (0..<n).map { Float(base.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }, shape: e.shape)
      case "I64":
        return try Tensor(
          (0..<n).map { Float(base.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }, shape: e.shape)
      case "F16":
        return try Tensor(
          (0..<n).map { Float(Float16(bitPattern: base.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) },
          shape: e.shape)
      default:
        throw CheckpointError.unsupportedDType(path: path, name: name, dtype: e.dtype)
      }
    }
  }
}
