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
  /// safetensors library lists them), the pickled object tree for PyTorch files. Only
  /// regular files are opened, and what the file makes the reader allocate stays within
  /// `limits`; every tensor's shape is checked to be addressable before it is returned.
  public static func load(path: String, limits: CheckpointLimits = .standard) throws -> CheckpointValue {
    let file = try MappedFile(path: path)
    let value: CheckpointValue
    switch try kind(of: file) {
    case .safetensors: value = try loadSafeTensors(file, limits: limits)
    case .torchZip: value = try TorchZipCheckpoint.load(file, limits: limits)
    case .torchLegacy: value = try TorchLegacyCheckpoint.load(file, limits: limits)
    }
    try checkShapes(value, path: path)
    return value
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
    // A '{' after the length marks safetensors even when the length is wrong, so that the
    // safetensors reader says what is wrong (a length beyond the file) rather than
    // "unknown format"; a legacy torch file starts with PROTO and LONG1 instead.
    if head.count > 8, head[8] == UInt8(ascii: "{"), !head.starts(with: [0x80, 0x02, 0x8A]) {
      return .safetensors
    }
    // Pickle protocol 2+ starts with PROTO; torch's legacy files with the magic number's pickle.
    if head.first == 0x80 { return .torchLegacy }
    let hex = head.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
    throw CheckpointError.malformed(
      path: file.path,
      reason: "unknown format (first bytes: \(hex.isEmpty ? "none, the file is empty" : hex)); "
        + "expected safetensors, a PyTorch zip or a legacy PyTorch pickle")
  }

  private static func loadSafeTensors(_ file: MappedFile, limits: CheckpointLimits) throws -> CheckpointValue {
    let st = try SafeTensorsFile(file: file, limits: limits)
    return .dict(
      try st.names.map { name in
        let e = st.entries[name]!
        guard let dtype = TorchDType(safetensors: e.dtype) else {
          throw CheckpointError.unsupportedDType(path: file.path, name: name, dtype: e.dtype)
        }
        // The header check bounded the count by the data size, so `Shape.count` cannot overflow.
        let storage = TorchStorage(key: name, dtype: dtype, count: Shape.count(e.shape))
        guard file.contains(offset: st.dataStart + e.range.lowerBound, length: e.range.count) else {
          throw CheckpointError.malformed(path: file.path, reason: "file changed while being read")
        }
        storage.bind(file, byteOffset: st.dataStart + e.range.lowerBound)
        return (.string(name), .tensor(CheckpointTensor(contiguous: storage, shape: e.shape)))
      })
  }

  /// Every tensor's shape must have a count and row-major strides that fit in `Int`, since
  /// loading it builds a row-major tensor: a torch view of size `[0, 2^40, 2^40]` reaches no
  /// element (so its storage checks pass) but its strides would overflow.
  static func checkShapes(_ value: CheckpointValue, path: String) throws {
    for (name, t) in value.namedTensors()
    where Shape.checkedCount(t.shape) == nil || Shape.checkedStrides(t.shape) == nil {
      throw CheckpointError.malformed(
        path: path, reason: "tensor '\(name)': shape \(t.shape) is too large (its size overflows)")
    }
  }
}
