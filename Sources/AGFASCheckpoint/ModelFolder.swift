import AGFASEngine
import AGFASJSON
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

  /// Index and config files are read whole; none real comes near this (the largest shard
  /// indexes are a few megabytes), and it bounds what `JSONDecoder` is given.
  static let maxJSONBytes = SmallFile.maxJSONBytes

  public init(path: String) throws {
    self.path = path
    guard try FileAccess.kind(of: path) == .directory else {
      throw CheckpointError.unreadable(path: path, reason: "not a folder")
    }
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    for (single, index) in ModelFolder.candidates {
      // Present in any form: a FIFO or a symlink loop is found here and refused, with the
      // reason, when it is opened, rather than skipped for the next candidate.
      if FileAccess.exists(file(single)) {
        weightFiles = [file(single)]
        return
      }
      if FileAccess.exists(file(index)) {
        weightFiles = try ModelFolder.shards(index: file(index)).map {
          try ModelFolder.confined($0, folder: path, index: file(index))
        }
        return
      }
    }
    let names = ModelFolder.candidates.map(\.single).joined(separator: ", ")
    throw CheckpointError.unreadable(path: path, reason: "no weights found (looked for \(names) and their .index.json)")
  }

  /// Shard file names of an index, in order of first appearance in its `weight_map`.
  static func shards(index: String) throws -> [String] {
    let data = try FileAccess.contents(of: index, limit: maxJSONBytes)
    struct Index: Decodable {
      let weightMap: [String: String]
      enum CodingKeys: String, CodingKey { case weightMap = "weight_map" }
    }
    let parsed: Index
    do { parsed = try StrictJSON.decode(Index.self, from: data) } catch {
      // A tensor listed twice in weight_map could be read from either shard: refused too.
      throw CheckpointError.invalidJSON(path: index, kind: "shard index", reason: "\(error)")
    }
    // JSON objects are unordered once decoded: order shards by name, which is how both
    // libraries number them (-00001-of-00003).
    return Array(Set(parsed.weightMap.values)).sorted()
  }

  /// The path of shard `name` inside `folder`, refused unless it resolves (symlinks
  /// followed) to a file inside the folder: an index is data from whoever made the folder,
  /// and `../../x.safetensors` or a link out of it must not make us read files elsewhere.
  static func confined(_ name: String, folder: String, index: String) throws -> String {
    guard !name.isEmpty, !name.hasPrefix("/") else {
      throw CheckpointError.malformed(
        path: index,
        reason: "shard '\(name)' is not a file name inside the model folder (outside the model folder); refused")
    }
    let path = (folder as NSString).appendingPathComponent(name)
    let root = try FileAccess.resolved(folder)
    let real: [UInt8]
    do { real = try FileAccess.resolved(path) } catch CheckpointError.unreadable(_, let reason) {
      throw CheckpointError.unreadable(path: path, reason: "shard named by \(index): \(reason)")
    }
    let inside = root == Array("/".utf8) ? real.count > 1 : real.starts(with: root + [UInt8(ascii: "/")])
    guard inside else {
      throw CheckpointError.malformed(
        path: index,
        reason: "shard '\(name)' resolves to \(String(decoding: real, as: UTF8.self)), "
          + "outside the model folder \(String(decoding: root, as: UTF8.self)); refused")
    }
    return path
  }

  /// `config.json` decoded as `T`; a key written twice or a value of the wrong type is an
  /// error naming the file and the key.
  public func config<T: Decodable>(_ type: T.Type, file name: String = "config.json") throws -> T {
    let file = (path as NSString).appendingPathComponent(name)
    let data = try FileAccess.contents(of: file, limit: ModelFolder.maxJSONBytes)
    do { return try StrictJSON.decode(T.self, from: data) } catch {
      throw CheckpointError.invalidJSON(path: file, kind: "model config", reason: "\(error)")
    }
  }
}

/// Reading whole state dicts from a file or a model folder.
public enum StateDict {
  /// Every tensor of a checkpoint file or model folder as `[name: Tensor]` (fp32, bf16 kept).
  /// A training checkpoint's `state_dict` is picked out, and `stripPrefix` (e.g. "module.")
  /// is removed from keys that carry it. `mapped`: large fp32/bf16 tensors borrow the file's
  /// read-only mapping instead of being copied (`CheckpointTensor.loadMapped`), for weights
  /// that are only read (inference).
  public static func load(
    path: String, stripPrefix: String? = nil, mapped: Bool = false, minimumMappedBytes: Int = 1 << 16
  ) throws -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for file in try files(path) {
      var value = try Checkpoint.load(path: file).stateDict()
      if let p = stripPrefix { value = value.strippingPrefix(p) }
      for (name, t) in value.namedTensors() {
        guard out[name] == nil else {
          throw CheckpointError.malformed(path: file, reason: "tensor '\(name)' appears in more than one shard")
        }
        out[name] = try mapped ? t.loadMapped(minimumMappedBytes: minimumMappedBytes) : t.load()
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
    // stat, not FileManager: a symlink loop, a FIFO or a name that is not UTF-8 each get
    // their true reason instead of "no such file or folder".
    return try FileAccess.kind(of: path) == .directory ? ModelFolder(path: path).weightFiles : [path]
  }
}
