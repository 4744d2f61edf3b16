import AGFASEngine
import Foundation

/// Errors reading checkpoint files; each names the file and what was wrong.
public enum CheckpointError: Error, CustomStringConvertible {
  case unreadable(path: String, reason: String)
  case malformed(path: String, reason: String)
  /// A JSON file beside the weights (`config.json`, a shard index): `kind` says which,
  /// `reason` what is wrong (a key written twice, a value of the wrong type), naming the key.
  case invalidJSON(path: String, kind: String, reason: String)
  case missingTensor(path: String, name: String)
  case unsupportedDType(path: String, name: String, dtype: String)
  /// A pickle inside the file was refused (a forbidden global) or is damaged; `entry` says which.
  case pickle(path: String, entry: String, PickleError)

  /// The message, with control characters escaped: names in it come from the file and
  /// could otherwise drive the terminal (see `ControlCharacters`).
  public var description: String { ControlCharacters.escaped(text) }

  private var text: String {
    switch self {
    case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
    case .malformed(let path, let reason): "\(path): not a valid checkpoint: \(reason)"
    case .invalidJSON(let path, let kind, let reason): "\(path): not a valid \(kind): \(reason)"
    case .missingTensor(let path, let name): "\(path): no tensor named '\(name)'"
    case .unsupportedDType(let path, let name, let dtype): "\(path): tensor '\(name)' has unsupported dtype \(dtype)"
    case .pickle(let path, let entry, .forbiddenGlobal(let module, let name)):
      "\(path): refused to load \(entry): \(PickleError.forbiddenGlobal(module: module, name: name))"
    case .pickle(let path, let entry, let error): "\(path): not a valid checkpoint: \(entry): \(error)"
    }
  }
}

/// A safetensors file: an 8-byte little-endian header length, a JSON header mapping names to
/// dtype, shape and byte offsets (plus optional string `__metadata__`), then the raw data.
/// The header is checked strictly (see `SafeTensorsHeader`) and within `CheckpointLimits`.
public struct SafeTensorsFile {
  public struct Entry: Sendable {
    public let dtype: String
    public let shape: [Int]
    public let range: Range<Int>
  }

  public let path: String
  public let entries: [String: Entry]
  public let metadata: [String: String]
  /// Tensor names, sorted.
  public let names: [String]
  private let file: MappedFile
  /// Where the data section starts (after the header).
  let dataStart: Int

  /// Reads and checks the header of the safetensors file at `path`; tensors are read on demand.
  public init(path: String, limits: CheckpointLimits = .standard) throws {
    try self.init(file: MappedFile(path: path), limits: limits)
  }

  init(file: MappedFile, limits: CheckpointLimits) throws {
    let path = file.path
    self.path = path
    self.file = file
    guard file.count >= 8 else {
      throw CheckpointError.malformed(
        path: path, reason: "file is \(file.count) bytes, shorter than the 8-byte header length")
    }
    let headerLength = file.bytes(0..<8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    guard headerLength <= UInt64(file.count - 8) else {
      throw CheckpointError.malformed(
        path: path,
        reason: "safetensors header length \(headerLength) exceeds the file size \(file.count) (truncated or damaged)")
    }
    guard headerLength <= UInt64(limits.maxHeaderBytes) else {
      throw CheckpointError.malformed(
        path: path, reason: "safetensors header of \(headerLength) bytes exceeds the limit of \(limits.maxHeaderBytes)")
    }
    let headerEnd = 8 + Int(headerLength)
    let header = try SafeTensorsHeader(
      json: file.bytes(8..<headerEnd), dataBytes: file.count - headerEnd, path: path, limits: limits)
    self.entries = header.entries
    self.metadata = header.metadata
    self.names = header.entries.keys.sorted()
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

  /// The named tensor, as fp32 (or bf16 when stored as BF16).
  public func tensor(_ name: String) throws -> Tensor {
    guard let e = entries[name] else { throw CheckpointError.missingTensor(path: path, name: name) }
    guard let dtype = TorchDType(safetensors: e.dtype) else {
      throw CheckpointError.unsupportedDType(path: path, name: name, dtype: e.dtype)
    }
    // The header check made the span lie inside the file; an empty one needs no bytes.
    guard let base = file.base, !e.range.isEmpty else { return Tensor.empty(e.shape, dtype: dtype.engineDType) }
    return StridedDecode.tensor(
      base + dataStart + e.range.lowerBound, dtype: dtype, shape: e.shape, strides: Shape.strides(e.shape), offset: 0)
  }
}
