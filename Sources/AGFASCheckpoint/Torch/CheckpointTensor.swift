import AGFASEngine

/// A tensor in a checkpoint, not yet read: its dtype and shape are known, its values are
/// decoded by `load()`. It may be a view (offset, strides) into a storage shared with others.
public struct CheckpointTensor: @unchecked Sendable, CustomStringConvertible {
  /// The dtype the file stores the tensor in.
  public let dtype: TorchDType
  public let shape: [Int]
  /// Element strides into the storage, as PyTorch records them.
  public let strides: [Int]
  /// First element of the view, in storage elements.
  public let storageOffset: Int
  let storage: TorchStorage

  /// The storage's key in the file (zip entry name, legacy key, or safetensors name).
  public var storageKey: String { storage.key }
  public var count: Int { Shape.count(shape) }

  /// Validates a view against its storage: every element it reaches must lie inside.
  init(storage: TorchStorage, offset: Int, shape: [Int], strides: [Int]) throws {
    guard shape.count == strides.count, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }),
      offset >= 0
    else {
      throw PickleError.malformed(
        position: nil, reason: "tensor of size \(shape), stride \(strides), offset \(offset) is not a valid view")
    }
    var count = 1
    var last = offset  // the highest element index the view reaches
    for (size, step) in zip(shape, strides) {
      let (c, o1) = count.multipliedReportingOverflow(by: size)
      let (reach, o2) = (size == 0 ? 0 : size - 1).multipliedReportingOverflow(by: step)
      let (l, o3) = last.addingReportingOverflow(reach)
      guard !o1, !o2, !o3 else {
        // The tensor's name is not known yet (the pickle names it later), its storage's is.
        throw PickleError.malformed(
          position: nil, reason: "tensor of size \(shape), stride \(strides) over storage '\(storage.key)' overflows")
      }
      count = c
      last = l
    }
    guard count == 0 || last < storage.count else {
      throw PickleError.malformed(
        position: nil,
        reason:
          "tensor of size \(shape), stride \(strides), offset \(offset) reaches element \(last) of storage '\(storage.key)' holding \(storage.count)"
      )
    }
    // Zero strides (expanded tensors) let a tiny storage claim a huge tensor; refuse absurd ones.
    guard count <= max(storage.count, 1 << 24) else {
      throw PickleError.malformed(position: nil, reason: "tensor of size \(shape) expands to \(count) elements")
    }
    self.storage = storage
    self.dtype = storage.dtype
    self.shape = shape
    self.strides = strides
    self.storageOffset = offset
  }

  /// A contiguous tensor covering a whole storage.
  init(wholeStorage storage: TorchStorage) {
    self.storage = storage
    self.dtype = storage.dtype
    self.shape = [storage.count]
    self.strides = [1]
    self.storageOffset = 0
  }

  /// A contiguous view of `shape` over a storage that holds exactly its elements.
  init(contiguous storage: TorchStorage, shape: [Int]) {
    self.storage = storage
    self.dtype = storage.dtype
    self.shape = shape
    self.strides = Shape.strides(shape)
    self.storageOffset = 0
  }

  /// Reads the values into a new row-major tensor: fp32, or bf16 when stored as bf16.
  public func load() throws -> Tensor {
    guard let file = storage.file else {
      throw CheckpointError.malformed(path: "checkpoint", reason: "storage '\(storage.key)' has no data")
    }
    guard let base = file.base else { return Tensor.empty(shape, dtype: dtype.engineDType) }
    return StridedDecode.tensor(
      base + storage.byteOffset, dtype: dtype, shape: shape, strides: strides, offset: storageOffset)
  }

  /// The values without a copy where the file holds them as a tensor would (contiguous,
  /// row-major fp32 or bf16, element-aligned, at least `minimumMappedBytes`): the tensor's
  /// storage is then the file's read-only mapping, kept alive by the tensor, whose pages can
  /// leave memory once a kernel has its own copy (`TensorStorage.releaseResidentPages`).
  /// Anything else is copied as `load()` copies it. The tensor must never be written in place:
  /// the mapping is read-only. Small tensors are copied: they save nothing and would keep
  /// their neighbours' pages resident.
  public func loadMapped(minimumMappedBytes: Int = 1 << 16) throws -> Tensor {
    guard let file = storage.file, let base = file.base, dtype == .float32 || dtype == .bfloat16,
      strides == Shape.strides(shape), Shape.count(shape) * dtype.byteSize >= minimumMappedBytes
    else { return try load() }
    let start = base + storage.byteOffset + storageOffset * dtype.byteSize
    guard Int(bitPattern: start) % dtype.byteSize == 0 else { return try load() }
    let bytes = Shape.count(shape) * dtype.byteSize
    let mapped = TensorStorage(
      borrowing: UnsafeMutableRawPointer(mutating: start), byteCount: bytes, owner: file, fileMapping: true)
    return Tensor(shape: shape, dtype: dtype.engineDType, storage: mapped)
  }

  public var description: String { "tensor(\(dtype), \(shape))" }
}
