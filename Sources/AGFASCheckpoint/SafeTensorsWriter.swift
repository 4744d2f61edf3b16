import AGFASEngine
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes state dicts as .safetensors files that `SafeTensorsFile` (and the Python
/// `safetensors` package) read back: fp32 tensors as F32, bf16 as BF16, names sorted, the
/// header padded with spaces to 8 bytes, string metadata under `__metadata__`.
public enum SafeTensorsWriter {
  /// The file's bytes for `tensors` and `metadata`.
  public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> Data {
    var header: [String: Any] = [:]
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var body = Data()
    for name in tensors.keys.sorted() {
      let t = tensors[name]!
      let start = body.count
      let values = t.toArray()
      switch t.dtype {
      case .float32:
        values.withUnsafeBufferPointer { body.append(contentsOf: UnsafeRawBufferPointer($0)) }
      case .bfloat16:
        // Values of a bf16 tensor are exact in bf16: its bits are the fp32 bits' upper half.
        let halves = values.map { UInt16(truncatingIfNeeded: $0.bitPattern >> 16).littleEndian }
        halves.withUnsafeBufferPointer { body.append(contentsOf: UnsafeRawBufferPointer($0)) }
      }
      header[name] = [
        "dtype": t.dtype == .float32 ? "F32" : "BF16", "shape": t.shape, "data_offsets": [start, body.count],
      ]
    }
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
    var out = Data()
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(json)
    out.append(body)
    return out
  }

  /// Writes `tensors` to `path` atomically: a temporary file in the same folder, flushed,
  /// then renamed over `path`, so a crash never leaves a half-written checkpoint.
  public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
    let data = try encode(tensors, metadata: metadata)
    try writeAtomically(data, to: path)
  }

  /// `data` to `path` through a temporary file and a rename (same file system: atomic).
  public static func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
    guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
      throw CheckpointError.unreadable(path: path, reason: "cannot create the temporary file \(temporary)")
    }
    do {
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
      defer { try? handle.close() }
      try handle.write(contentsOf: data)
      try handle.synchronize()
    } catch {
      unlink(temporary)
      throw CheckpointError.unreadable(path: path, reason: "writing failed: \(error.localizedDescription)")
    }
    guard rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw CheckpointError.unreadable(path: path, reason: "rename failed: \(reason)")
    }
  }
}
