/// How a tensor's elements are laid out in its storage.
public enum Layout: Sendable, Equatable {
  /// Row-major in the order of `shape` (PyTorch's contiguous).
  case rowMajor
  /// Rank 4 only: logical shape N,C,H,W stored as N,H,W,C (PyTorch's channels_last), the
  /// layout oneDNN's fastest convolutions read and write.
  case channelsLast
}

/// An n-dimensional array of fp32 or bf16 values with an optional autograd history.
///
/// `shape` is always in PyTorch's logical order (N,C,H,W for images), whatever `layout` the
/// storage uses. Tensors are immutable values; ops return new tensors.
public struct Tensor: @unchecked Sendable {
  public let shape: [Int]
  public let dtype: DType
  public let layout: Layout
  public let storage: TensorStorage
  /// The autograd node that produced this tensor; nil for untracked values.
  var node: GradNode?

  /// Wraps a storage; `storage` must hold `Shape.count(shape)` elements of `dtype`.
  public init(shape: [Int], dtype: DType, layout: Layout = .rowMajor, storage: TensorStorage) {
    precondition(layout == .rowMajor || shape.count == 4, "channelsLast needs rank 4, got \(shape)")
    precondition(storage.byteCount >= Shape.count(shape) * dtype.byteSize, "storage too small for \(shape)")
    self.shape = shape
    self.dtype = dtype
    self.layout = layout
    self.storage = storage
    self.node = nil
  }

  /// Allocates an uninitialised tensor (for kernels that write every element).
  public static func empty(_ shape: [Int], dtype: DType = .float32, layout: Layout = .rowMajor) -> Tensor {
    Tensor(
      shape: shape, dtype: dtype, layout: layout,
      storage: TensorStorage(byteCount: Shape.count(shape) * dtype.byteSize))
  }

  /// A tensor from values in row-major order.
  public init(_ values: [Float], shape: [Int], dtype: DType = .float32) throws {
    guard values.count == Shape.count(shape), shape.allSatisfy({ $0 >= 0 }) else {
      throw TensorError.invalidArgument(
        op: "Tensor.init", reason: "\(values.count) values do not fill shape \(shape)")
    }
    self = Tensor.empty(shape, dtype: dtype)
    values.withUnsafeBufferPointer { src in storeFloats(src) }
  }

  /// A scalar (rank 0) tensor.
  public init(scalar: Float, dtype: DType = .float32) {
    self = try! Tensor([scalar], shape: [], dtype: dtype)
  }

  public static func full(_ value: Float, _ shape: [Int], dtype: DType = .float32) -> Tensor {
    let t = Tensor.empty(shape, dtype: dtype)
    switch dtype {
    case .float32:
      t.storage.raw.initializeMemory(as: Float.self, repeating: value, count: t.count)
    case .bfloat16:
      t.storage.raw.initializeMemory(as: UInt16.self, repeating: BFloat16.bits(value), count: t.count)
    }
    return t
  }

  public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor { full(0, shape, dtype: dtype) }
  public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor { full(1, shape, dtype: dtype) }

  /// Number of elements.
  public var count: Int { Shape.count(shape) }
  public var rank: Int { shape.count }

  /// The values as fp32 in logical row-major order (a copy).
  public func toArray() -> [Float] {
    let t = layout == .rowMajor ? self : (try! self.relaid(.rowMajor))
    var out = [Float](repeating: 0, count: count)
    out.withUnsafeMutableBufferPointer { dst in t.loadFloats(into: dst) }
    return out
  }

  /// The single value of a one-element tensor.
  public func item() throws -> Float {
    guard count == 1 else {
      throw TensorError.invalidArgument(op: "item", reason: "tensor of shape \(shape) has \(count) elements")
    }
    return toArray()[0]
  }
}

// MARK: - Raw element access for kernels

extension Tensor {
  /// fp32 storage as a buffer in storage order. Precondition: dtype is fp32.
  public func floats() -> UnsafeMutableBufferPointer<Float> {
    precondition(dtype == .float32, "floats() on a \(dtype) tensor")
    return UnsafeMutableBufferPointer(start: storage.raw.assumingMemoryBound(to: Float.self), count: count)
  }

  /// bf16 storage bits in storage order. Precondition: dtype is bf16.
  public func bf16Bits() -> UnsafeMutableBufferPointer<UInt16> {
    precondition(dtype == .bfloat16, "bf16Bits() on a \(dtype) tensor")
    return UnsafeMutableBufferPointer(start: storage.raw.assumingMemoryBound(to: UInt16.self), count: count)
  }

  /// Copies storage-order values into `dst`, widening bf16.
  func loadFloats(into dst: UnsafeMutableBufferPointer<Float>) {
    guard count > 0 else { return }
    switch dtype {
    case .float32:
      dst.baseAddress!.update(from: floats().baseAddress!, count: count)
    case .bfloat16:
      widenBF16(storage.raw, into: dst.baseAddress!, count: count)
    }
  }

  /// Writes storage-order values from `src`, rounding to bf16 if needed.
  func storeFloats(_ src: UnsafeBufferPointer<Float>) {
    guard count > 0 else { return }
    switch dtype {
    case .float32:
      floats().baseAddress!.update(from: src.baseAddress!, count: count)
    case .bfloat16:
      narrowToBF16(src.baseAddress!, into: storage.raw, count: count)
    }
  }

  /// This tensor as untracked fp32 row-major data: a no-op when it already is.
  /// Kernels written in Swift call this first and then use `floats()`.
  public func fp32RowMajor() throws -> Tensor {
    var t = self
    t.node = nil
    if t.layout != .rowMajor { t = try t.relaidUntracked(.rowMajor) }
    if t.dtype != .float32 { t = t.convertedUntracked(to: .float32) }
    return t
  }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let values = toArray()
    let head = values.prefix(8).map { String($0) }.joined(separator: ", ")
    return
      "Tensor(\(shape), \(dtype)\(layout == .channelsLast ? ", channelsLast" : ""): [\(head)\(values.count > 8 ? ", ..." : "")])"
  }
}
