/// Swift-loop element-wise kernels for the ops oneDNN does not match PyTorch on: they walk
/// storage order, so the result keeps the input's layout, and compute in fp32.
extension Tensor {
  /// This tensor's values, untracked, stored in `layout` with elements of `dtype`.
  /// Backward passes use it to line an incoming gradient up with a saved tensor.
  func untracked(layout: Layout, dtype: DType) throws -> Tensor {
    try detached().relaidUntracked(layout).convertedUntracked(to: dtype)
  }

  /// `f` of every element, in this tensor's shape, layout and dtype.
  @inline(__always)
  func mapped(_ f: (Float) -> Float) -> Tensor {
    let x = convertedUntracked(to: .float32)
    let out = Tensor.empty(shape, dtype: .float32, layout: layout)
    let (src, dst) = (x.floats(), out.floats())
    parallelFor(count) { r in
      for i in r { dst[i] = f(src[i]) }
    }
    return out.convertedUntracked(to: dtype)
  }

  /// `f(self[i], other[i])` for a same-shaped `other` (any layout or dtype), in this tensor's
  /// layout and dtype.
  @inline(__always)
  func zipped(_ other: Tensor, _ f: (Float, Float) -> Float) throws -> Tensor {
    let x = convertedUntracked(to: .float32)
    let y = try other.untracked(layout: layout, dtype: .float32)
    let out = Tensor.empty(shape, dtype: .float32, layout: layout)
    let (a, b, dst) = (x.floats(), y.floats(), out.floats())
    parallelFor(count) { r in
      for i in r { dst[i] = f(a[i], b[i]) }
    }
    return out.convertedUntracked(to: dtype)
  }
}
