/// One storage of a checkpoint: a run of `count` elements of `dtype` that one or more tensors
/// view. Zip checkpoints know where its bytes are when the pickle names it; legacy ones only
/// after the pickle, so the bytes are bound later.
final class TorchStorage: @unchecked Sendable {
  let key: String
  let dtype: TorchDType
  /// Elements the checkpoint declares for this storage.
  let count: Int
  private(set) var file: MappedFile?
  private(set) var byteOffset = 0

  init(key: String, dtype: TorchDType, count: Int) {
    self.key = key
    self.dtype = dtype
    self.count = count
  }

  /// Points this storage at `count * dtype.byteSize` bytes of `file` from `byteOffset`,
  /// which the caller has checked lie inside the file.
  func bind(_ file: MappedFile, byteOffset: Int) {
    self.file = file
    self.byteOffset = byteOffset
  }

  var isBound: Bool { file != nil }

  /// A storage's declared bytes, as a persistent id from a pickle names them:
  /// `('storage', torch.<Type>Storage, key, location, count, ...)`.
  static func parsePersistentID(_ pid: CheckpointValue) throws -> (key: String, dtype: TorchDType, count: Int) {
    guard case .tuple(let items) = pid, items.count >= 5, case .string("storage") = items[0] else {
      throw PickleError.malformed(position: nil, reason: "persistent id \(pid) is not a ('storage', ...) tuple")
    }
    guard case .global(let module, let name) = items[1], module == "torch",
      let dtype = TorchDType(storageType: name)
    else {
      throw PickleError.malformed(position: nil, reason: "persistent id has storage type \(items[1])")
    }
    guard case .string(let key) = items[2], case .int(let count) = items[4], count >= 0 else {
      throw PickleError.malformed(position: nil, reason: "persistent id \(pid) lacks a key and element count")
    }
    return (key, dtype, count)
  }
}
