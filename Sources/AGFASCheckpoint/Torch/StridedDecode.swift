import AGFASEngine

/// Copies a strided view of raw storage bytes into a new row-major engine tensor, converting
/// the element type. Callers have checked that every element the view reaches lies in `bytes`.
enum StridedDecode {
  /// Decodes `shape`/`strides` (in elements) starting `offset` elements into `bytes`.
  static func tensor(
    _ bytes: UnsafeRawPointer, dtype: TorchDType, shape: [Int], strides: [Int], offset: Int
  ) -> Tensor {
    let out = Tensor.empty(shape, dtype: dtype.engineDType)
    let n = out.count
    if n == 0 { return out }
    let (dims, steps) = coalesce(shape: shape, strides: strides)
    let src = bytes + offset * dtype.byteSize
    if dims.count == 1, steps[0] == 1, dtype == .float32 || dtype == .bfloat16 {
      out.storage.raw.copyMemory(from: src, byteCount: n * dtype.byteSize)  // contiguous fp32/bf16
      return out
    }
    switch dtype {
    case .bfloat16:
      gather(src, dims, steps, into: out.bf16Bits().baseAddress!) { (b: UInt16) in b }
    case .float32:
      gather(src, dims, steps, into: out.floats().baseAddress!) { (v: Float) in v }
    case .float16:
      gather(src, dims, steps, into: out.floats().baseAddress!) { (b: UInt16) in Float(Float16(bitPattern: b)) }
    case .float64:
      gather(src, dims, steps, into: out.floats().baseAddress!) { (v: Double) in Float(v) }
    case .int64:
      gather(src, dims, steps, into: out.floats().baseAddress!) { (v: Int64) in Float(v) }
    case .int32:
      gather(src, dims, steps, into: out.floats().baseAddress!) { (v: Int32) in Float(v) }
    case .int16:
      gather(src, dims, steps, into: out.floats().baseAddress!) { (v: Int16) in Float(v) }
    case .int8:
      gather(src, dims, steps, into: out.floats().baseAddress!) { (v: Int8) in Float(v) }
    case .uint8:
      gather(src, dims, steps, into: out.floats().baseAddress!) { (v: UInt8) in Float(v) }
    case .bool:
      gather(src, dims, steps, into: out.floats().baseAddress!) { (v: UInt8) in v != 0 ? 1 : 0 }
    }
    return out
  }

  /// Merges neighbouring dimensions that are contiguous with each other, so a contiguous
  /// tensor becomes one run and the inner loop is as long as possible. Never returns rank 0.
  static func coalesce(shape: [Int], strides: [Int]) -> (shape: [Int], strides: [Int]) {
    var dims: [Int] = []
    var steps: [Int] = []
    for (size, step) in zip(shape, strides) where size != 1 {
      if let last = dims.last, steps.last! == step * size {
        dims[dims.count - 1] = last * size
        steps[steps.count - 1] = step
      } else {
        dims.append(size)
        steps.append(step)
      }
    }
    return dims.isEmpty ? ([1], [1]) : (dims, steps)
  }

  /// Walks the outer dimensions with an odometer and runs the innermost one as a tight loop.
  /// Storage in legacy files is not aligned, hence unaligned loads.
  @inline(__always)
  static func gather<S: BitwiseCopyable, D>(
    _ src: UnsafeRawPointer, _ dims: [Int], _ steps: [Int], into dst: UnsafeMutablePointer<D>,
    _ convert: (S) -> D
  ) {
    let size = MemoryLayout<S>.size
    let inner = dims[dims.count - 1]
    let innerStep = steps[steps.count - 1] * size
    let outer = dims.count - 1
    var index = [Int](repeating: 0, count: outer)
    var rows = 1
    for d in dims.dropLast() { rows *= d }
    var rowStart = 0  // byte offset of the current row
    var out = dst
    for _ in 0..<rows {
      var p = src + rowStart
      for _ in 0..<inner {
        out.pointee = convert(p.loadUnaligned(as: S.self))
        out += 1
        p += innerStep
      }
      // Advance the odometer over the outer dimensions.
      var d = outer - 1
      while d >= 0 {
        index[d] += 1
        rowStart += steps[d] * size
        if index[d] < dims[d] { break }
        rowStart -= steps[d] * size * dims[d]
        index[d] = 0
        d -= 1
      }
    }
  }
}
