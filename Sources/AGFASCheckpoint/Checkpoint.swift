import AGFASEngine

/// The one entry point for weight files: it recognises the format from the file's first
/// bytes and returns its contents as a `CheckpointValue` tree with lazily read tensors.
public enum Checkpoint {
  /// The file formats `load` reads.
  public enum Kind: String, Sendable {
    case safetensors
    /// `torch.save` since PyTorch 1.6 (a zip archive).
    case torchZip
    /// `torch.save` before 1.6 (a sequence of pickles and raw storages).
    case torchLegacy
  }

  /// Reads a checkpoint: a dict of tensors for safetensors (sorted by name, as the
  /// safetensors library lists them), the pickled object tree for PyTorch files.
  public static func load(path: String) throws -> CheckpointValue {
    let file = try MappedFile(path: path)
    switch try kind(of: file) {
    case .safetensors: return try loadSafeTensors(file)
    case .torchZip: return try TorchZipCheckpoint.load(file)
    case .torchLegacy: return try TorchLegacyCheckpoint.load(file)
    }
  }

  /// The format of the file at `path`, from its first bytes.
  public static func kind(path: String) throws -> Kind {
    try kind(of: MappedFile(path: path))
  }

  static func kind(of file: MappedFile) throws -> Kind {
    let head = Array(file.bytes(0..<min(file.count, 16)))
    if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
      return .torchZip
    }
    // Before the pickle test: a safetensors header length may well start with byte 0x80.
    if head.count > 8, head[8] == UInt8(ascii: "{") {
      let length = head[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
      if length <= UInt64(file.count - 8) { return .safetensors }
    }
    // Pickle protocol 2+ starts with PROTO; torch's legacy files with the magic number's pickle.
    if head.first == 0x80 { return .torchLegacy }
    let hex = head.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
    throw CheckpointError.malformed(
      path: file.path,
      reason: "unknown format (first bytes: \(hex.isEmpty ? "none, the file is empty" : hex)); "
        + "expected safetensors, a PyTorch zip or a legacy PyTorch pickle")
  }

  private static func loadSafeTensors(_ file: MappedFile) throws -> CheckpointValue {
    let st = try SafeTensorsFile(path: file.path)
    return .dict(
      try st.names.map { name in
        let e = st.entries[name]!
        guard let dtype = TorchDType(safetensors: e.dtype) else {
          throw CheckpointError.unsupportedDType(path: file.path, name: name, dtype: e.dtype)
        }
        let storage = TorchStorage(key: name, dtype: dtype, count: Shape.count(e.shape))
        guard file.contains(offset: st.dataStart + e.range.lowerBound, length: e.range.count) else {
          throw CheckpointError.malformed(path: file.path, reason: "file changed while being read")
        }
        storage.bind(file, byteOffset: st.dataStart + e.range.lowerBound)
        return (.string(name), .tensor(CheckpointTensor(contiguous: storage, shape: e.shape)))
      })
  }
}
