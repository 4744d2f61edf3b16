import AGFASEngine
import Foundation

/// A Hugging Face model folder (transformers `save_pretrained` or diffusers): a `config.json`
/// and the weights as one file or as shards listed by an `*.index.json`.
///
/// Weight files are looked for in this order: safetensors (single, then sharded), then PyTorch
/// `.bin` (single, then sharded), under the names transformers (`model`, `pytorch_model`) and
/// diffusers (`diffusion_pytorch_model`) use.
public struct ModelFolder: Sendable {
  public let path: String
  /// The weight files, in shard order.
  public let weightFiles: [String]

  static let candidates: [(single: String, index: String)] = [
    ("model.safetensors", "model.safetensors.index.json"),
    ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors.index.json"),
    ("pytorch_model.bin", "pytorch_model.bin.index.json"),
    ("diffusion_pytorch_model.bin", "diffusion_pytorch_model.bin.index.json"),
  ]

  public init(path: String) throws {
    self.path = path
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
      throw CheckpointError.unreadable(path: path, reason: "not a folder")
    }
    let fm = FileManager.default
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    for (single, index) in ModelFolder.candidates {
      if fm.fileExists(atPath: file(single)) {
        weightFiles = [file(single)]
        return
      }
      if fm.fileExists(atPath: file(index)) {
        weightFiles = try ModelFolder.shards(index: file(index)).map(file)
        return
      }
    }
    let names = ModelFolder.candidates.map(\.single).joined(separator: ", ")
    throw CheckpointError.unreadable(path: path, reason: "no weights found (looked for \(names) and their .index.json)")
  }

  /// Shard file names of an index, in order of first appearance in its `weight_map`.
  static func shards(index: String) throws -> [String] {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: index)) } catch {
      throw CheckpointError.unreadable(path: index, reason: error.localizedDescription)
    }
    struct Index: Decodable {
      let weightMap: [String: String]
      enum CodingKeys: String, CodingKey { case weightMap = "weight_map" }
    }
    guard let parsed = try? JSONDecoder().decode(Index.self, from: data) else {
      throw CheckpointError.malformed(path: index, reason: "not a shard index (no weight_map)")
    }
    // JSON objects are unordered once decoded: order shards by name, which is how both
    // libraries number them (-00001-of-00003).
    return Array(Set(parsed.weightMap.values)).sorted()
  }

  /// `config.json` decoded as `T`.
  public func config<T: Decodable>(_ type: T.Type, file name: String = "config.json") throws -> T {
    let file = (path as NSString).appendingPathComponent(name)
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
      throw CheckpointError.unreadable(path: file, reason: error.localizedDescription)
    }
    do { return try JSONDecoder().decode(T.self, from: data) } catch {
      throw CheckpointError.malformed(path: file, reason: "config does not decode: \(error)")
    }
  }
}

/// Reading whole state dicts from a file or a model folder.
public enum StateDict {
  /// Every tensor of a checkpoint file or model folder as `[name: Tensor]` (fp32, bf16 kept).
  /// A training checkpoint's `state_dict` is picked out, and `stripPrefix` (e.g. "module.")
  /// is removed from keys that carry it.
  public static func load(path: String, stripPrefix: String? = nil) throws -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for file in try files(path) {
      var value = try Checkpoint.load(path: file).stateDict()
      if let p = stripPrefix { value = value.strippingPrefix(p) }
      for (name, t) in value.namedTensors() {
        guard out[name] == nil else {
          throw CheckpointError.malformed(path: file, reason: "tensor '\(name)' appears in more than one shard")
        }
        out[name] = try t.load()
      }
    }
    return out
  }

  /// The tensors `agfas inspect` lists: name, dtype, shape, file by file in shard order.
  public static func listing(path: String) throws -> [(name: String, dtype: String, shape: [Int])] {
    try files(path).flatMap { try Checkpoint.load(path: $0).tensors() }
  }

  /// The weight files behind a path: itself, or a model folder's weights.
  public static func files(_ path: String) throws -> [String] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
      throw CheckpointError.unreadable(path: path, reason: "no such file or folder")
    }
    return isDir.boolValue ? try ModelFolder(path: path).weightFiles : [path]
  }
}
