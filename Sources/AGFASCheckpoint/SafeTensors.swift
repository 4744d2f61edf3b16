import AGFASEngine
import Foundation

/// Errors reading checkpoint files; each names the file and what was wrong.
public enum CheckpointError: Error, CustomStringConvertible {
  case unreadable(path: String, reason: String)
  case malformed(path: String, reason: String)
  case missingTensor(path: String, name: String)
  case unsupportedDType(path: String, name: String, dtype: String)
  /// A pickle inside the file was refused (a forbidden global) or is damaged; `entry` says which.
  case pickle(path: String, entry: String, PickleError)

  public var description: String {
    switch self {
    case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
    case .malformed(let path, let reason): "\(path): not a valid checkpoint: \(reason)"
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
  /// Where the data section starts (after the header).
  let dataStart: Int

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
      // Overflow-checked: a damaged header may claim absurd shapes.
      let bytes = shape.reduce(Optional(size)) { acc, d in
        acc.flatMap { a in
          let (p, o) = a.multipliedReportingOverflow(by: d)
          return o ? nil : p
        }
      }
      guard offsets[1] - offsets[0] == bytes else {
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
    guard let dtype = TorchDType(safetensors: e.dtype) else {
      throw CheckpointError.unsupportedDType(path: path, name: name, dtype: e.dtype)
    }
    return data.withUnsafeBytes { raw in
      StridedDecode.tensor(
        raw.baseAddress! + dataStart + e.range.lowerBound, dtype: dtype, shape: e.shape,
        strides: Shape.strides(e.shape), offset: 0)
    }
  }
}
