/// Joining and cutting: concat, slice, chunk, constant pad (torch.cat, x[a:b:s], torch.chunk,
/// F.pad). All are copies through `copyElements`, bit-exact for bf16; outputs keep the input
/// layout, so channels-last activations (UNet skip connections) stay channels-last.
extension Tensor {
  /// Joins tensors along `axis` (torch.cat). All dims but `axis` must match. Layouts may mix:
  /// the result is channels-last when every input is, else row-major. Mixed dtypes give fp32.
  /// The gradient is split back into one slice per input.
  public static func concat(_ tensors: [Tensor], axis: Int) throws -> Tensor {
    guard let first = tensors.first else {
      throw TensorError.invalidArgument(op: "concat", reason: "needs at least one tensor")
    }
    guard first.rank > 0 else {
      throw TensorError.rank(op: "concat", shape: first.shape, expected: "rank >= 1")
    }
    let a = try Shape.axis(axis, rank: first.rank, op: "concat")
    let fits = tensors.allSatisfy { t in
      t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] }
    }
    guard fits else {
      throw TensorError.shapeMismatch(
        op: "concat", shapes: tensors.map(\.shape), reason: "all dims but \(a) must match")
    }
    let dtype = tensors.allSatisfy { $0.dtype == first.dtype } ? first.dtype : .float32
    let layout: Layout = tensors.allSatisfy { $0.layout == .channelsLast } ? .channelsLast : .rowMajor
    var outShape = first.shape
    outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
    let out = Tensor.empty(outShape, dtype: dtype, layout: layout)
    var starts = [Int](repeating: 0, count: first.rank)
    let steps = [Int](repeating: 1, count: first.rank)
    for t in tensors {
      // Reads follow each input's own strides, so no input is relaid first.
      let src = t.convertedUntracked(to: dtype)
      copyElements(
        src, StridedView(src), into: out, StridedView(out, starts: starts, steps: steps), shape: t.shape,
        order: out.storageOrder)
      starts[a] += t.shape[a]
    }
    // Keep only what the split needs, not the inputs' storage.
    let parts = tensors.map { (shape: $0.shape, dtype: $0.dtype, needed: $0.requiresGrad) }
    return out.recorded("concat", inputs: tensors) { g in
      var starts = [Int](repeating: 0, count: g.rank)
      return parts.map { p in
        defer { starts[a] += p.shape[a] }
        guard p.needed else { return nil }
        return g.gathered(starts: starts, steps: steps, shape: p.shape).convertedUntracked(to: p.dtype)
      }
    }
  }

  /// `x[..., start:end:step, ...]` on `axis` with Python's rules: negative `start`/`end`
  /// count from the end and both are clamped to the dim, so an empty range gives size 0.
  /// `step` must be positive. The gradient is scattered into zeros.
  public func sliced(axis: Int, start: Int, end: Int, step: Int = 1) throws -> Tensor {
    guard rank > 0 else { throw TensorError.rank(op: "slice", shape: shape, expected: "rank >= 1") }
    let a = try Shape.axis(axis, rank: rank, op: "slice")
    guard step > 0 else {
      throw TensorError.invalidArgument(
        op: "slice", reason: "step \(step) must be positive (shape \(shape), axis \(a))")
    }
    let n = shape[a]
    func clamped(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + n : i, 0), n) }
    let lo = clamped(start)
    let hi = Swift.max(clamped(end), lo)
    if lo == 0, hi == n, step == 1 { return self }
    var outShape = shape
    outShape[a] = (hi - lo + step - 1) / step
    var starts = [Int](repeating: 0, count: rank)
    starts[a] = lo
    var steps = [Int](repeating: 1, count: rank)
    steps[a] = step
    return gathered(starts: starts, steps: steps, shape: outShape).recorded("slice", inputs: [self]) {
      [shape, starts, steps] g in
      [g.embedded(in: shape, starts: starts, steps: steps, fill: 0)]
    }
  }

  /// The elements `range` of `axis` (torch.narrow); the range must lie inside the dim.
  public func sliced(axis: Int, range: Range<Int>) throws -> Tensor {
    guard rank > 0 else { throw TensorError.rank(op: "slice", shape: shape, expected: "rank >= 1") }
    let a = try Shape.axis(axis, rank: rank, op: "slice")
    guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
      throw TensorError.invalidArgument(
        op: "slice", reason: "range \(range) is outside axis \(a) of shape \(shape)")
    }
    return try sliced(axis: a, start: range.lowerBound, end: range.upperBound)
  }

  /// Splits `axis` into pieces of ceil(size / n) elements, the last possibly smaller
  /// (torch.chunk: there may be fewer than `n` pieces). Used for GEGLU and q/k/v splits.
  public func chunked(_ n: Int, axis: Int) throws -> [Tensor] {
    guard rank > 0 else { throw TensorError.rank(op: "chunk", shape: shape, expected: "rank >= 1") }
    let a = try Shape.axis(axis, rank: rank, op: "chunk")
    guard n > 0 else {
      throw TensorError.invalidArgument(op: "chunk", reason: "chunk count \(n) must be positive (shape \(shape))")
    }
    let size = shape[a]
    if size == 0 { return [self] }
    let piece = (size + n - 1) / n
    return try stride(from: 0, to: size, by: piece).map {
      try sliced(axis: a, start: $0, end: Swift.min($0 + piece, size))
    }
  }

  /// Constant padding: `pads[d] = (before, after)` elements added to dim d, listed from the
  /// FIRST dim (F.pad lists pairs from the last dim), one pair per dim, none negative.
  /// The gradient is the interior of the output gradient.
  public func padded(_ pads: [(Int, Int)], value: Float = 0) throws -> Tensor {
    let text = pads.map { "(\($0.0), \($0.1))" }.joined(separator: ", ")
    guard pads.count == rank else {
      throw TensorError.invalidArgument(
        op: "pad", reason: "\(pads.count) (before, after) pairs [\(text)] for shape \(shape): need one per dim")
    }
    guard pads.allSatisfy({ $0.0 >= 0 && $0.1 >= 0 }) else {
      throw TensorError.invalidArgument(op: "pad", reason: "negative padding [\(text)] for shape \(shape)")
    }
    let starts = pads.map(\.0)
    let steps = [Int](repeating: 1, count: rank)
    let outShape = zip(shape, pads).map { $0 + $1.0 + $1.1 }
    let out = embedded(in: outShape, starts: starts, steps: steps, fill: value)
    return out.recorded("pad", inputs: [self]) { [shape] g in
      [g.gathered(starts: starts, steps: steps, shape: shape)]
    }
  }
}
