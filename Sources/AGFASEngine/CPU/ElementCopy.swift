/// Element copies between strided views of tensors: the kernel behind concat, slice, pad and
/// their gradients. Pure data movement, so bf16 elements move bit-exact without widening.

/// Where a view's elements sit in a tensor's storage: element offset of index 0 and the
/// element stride of each logical dimension.
struct StridedView {
  var offset: Int
  var strides: [Int]

  init(offset: Int, strides: [Int]) {
    self.offset = offset
    self.strides = strides
  }

  /// The whole of `t` as stored.
  init(_ t: Tensor) {
    offset = 0
    strides = t.storageStrides
  }

  /// The elements of `t` at `starts[d] + i * steps[d]` along each dim.
  init(_ t: Tensor, starts: [Int], steps: [Int]) {
    let own = t.storageStrides
    offset = zip(starts, own).reduce(0) { $0 + $1.0 * $1.1 }
    strides = zip(own, steps).map { $0 * $1 }
  }
}

/// Copies a `shape`-sized block from `src` (seen through `from`) into `dst` (through `to`).
/// Dims are walked outermost-first in `order`: pass the destination's storage order so writes
/// stream; forEachRow coalesces contiguous dims, so aligned blocks become long memcpys.
func copyElements(
  _ src: Tensor, _ from: StridedView, into dst: Tensor, _ to: StridedView, shape: [Int], order: [Int]
) {
  precondition(src.dtype == dst.dtype, "copyElements: \(src.dtype) into \(dst.dtype)")
  if Shape.count(shape) == 0 { return }
  let physical = order.map { shape[$0] }
  let strides = [order.map { from.strides[$0] }, order.map { to.strides[$0] }]
  switch src.dtype {
  case .float32:
    copyTyped(
      UnsafePointer(src.floats().baseAddress!) + from.offset, dst.floats().baseAddress! + to.offset, physical,
      strides)
  case .bfloat16:
    copyTyped(
      UnsafePointer(src.bf16Bits().baseAddress!) + from.offset, dst.bf16Bits().baseAddress! + to.offset, physical,
      strides)
  }
}

private func copyTyped<T>(
  _ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, _ shape: [Int], _ strides: [[Int]]
) {
  forEachRow(shape, strides) { off, n, inner in
    let s = src + off[0]
    let d = dst + off[1]
    let (ss, ds) = (inner[0], inner[1])
    if ss == 1, ds == 1 {
      d.update(from: s, count: n)
    } else {
      for i in 0..<n { d[i * ds] = s[i * ss] }
    }
  }
}

extension Tensor {
  /// A tensor of `shape` and `layout` with every element `value` (rounded once for bf16).
  static func filled(_ value: Float, _ shape: [Int], dtype: DType, layout: Layout) -> Tensor {
    let t = Tensor.full(value, shape, dtype: dtype)
    return Tensor(shape: shape, dtype: dtype, layout: layout, storage: t.storage)
  }

  /// Untracked: the elements at `starts[d] + i * steps[d]`, i < `outShape[d]`, in this layout.
  func gathered(starts: [Int], steps: [Int], shape outShape: [Int]) -> Tensor {
    let out = Tensor.empty(outShape, dtype: dtype, layout: layout)
    copyElements(
      self, StridedView(self, starts: starts, steps: steps), into: out, StridedView(out), shape: outShape,
      order: out.storageOrder)
    return out
  }

  /// Untracked: a tensor of `outShape` (this layout) filled with `fill`, holding this tensor's
  /// elements at `starts[d] + i * steps[d]`. The inverse of `gathered`.
  func embedded(in outShape: [Int], starts: [Int], steps: [Int], fill: Float) -> Tensor {
    let out = Tensor.filled(fill, outShape, dtype: dtype, layout: layout)
    copyElements(
      self, StridedView(self), into: out, StridedView(out, starts: starts, steps: steps), shape: shape,
      order: storageOrder)
    return out
  }
}
