/// Broadcasting element-wise arithmetic: add, sub, mul, div (PyTorch semantics).
///
/// Same-shape operands in the same layout run as one flat loop and keep that layout (so
/// channels-last activations stay channels-last through residual adds); everything else goes
/// through the strided broadcasting loop. bf16 operands compute in fp32 and round the result.
extension Tensor {
  public func adding(_ other: Tensor) throws -> Tensor {
    try binary(.add, other).recorded("add", inputs: [self, other]) { [shape, other] g in
      [try g.summed(toShape: shape), try g.summed(toShape: other.shape)]
    }
  }

  public func subtracting(_ other: Tensor) throws -> Tensor {
    try binary(.sub, other).recorded("sub", inputs: [self, other]) { [shape, other] g in
      [try g.summed(toShape: shape), try g.negated().summed(toShape: other.shape)]
    }
  }

  public func multiplying(_ other: Tensor) throws -> Tensor {
    try binary(.mul, other).recorded("mul", inputs: [self, other]) { [self, other] g in
      [
        self.requiresGrad ? try g.multiplying(other).summed(toShape: self.shape) : nil,
        other.requiresGrad ? try g.multiplying(self).summed(toShape: other.shape) : nil,
      ]
    }
  }

  public func dividing(_ other: Tensor) throws -> Tensor {
    try binary(.div, other).recorded("div", inputs: [self, other]) { [self, other] g in
      let ga = self.requiresGrad ? try g.dividing(other).summed(toShape: self.shape) : nil
      var gb: Tensor? = nil
      if other.requiresGrad {
        // d(a/b)/db = -a / b^2
        gb = try g.multiplying(self).dividing(other.multiplying(other)).negated().summed(toShape: other.shape)
      }
      return [ga, gb]
    }
  }

  /// `-self`.
  public func negated() throws -> Tensor {
    try multiplying(Tensor(scalar: -1))
  }

  /// The untracked broadcasting kernel shared by the four ops. Each loop is instantiated per
  /// operation (`BinaryKind.run`), so the arithmetic inlines and vectorises instead of being
  /// an indirect call per element.
  func binary(_ kind: BinaryKind, _ other: Tensor) throws -> Tensor {
    let op = kind.rawValue
    guard let outShape = Shape.broadcast(shape, other.shape) else {
      throw TensorError.shapeMismatch(op: op, shapes: [shape, other.shape], reason: "they do not broadcast")
    }
    // PyTorch promotion: a rank-0 operand (a Python scalar) does not widen a tensor's type.
    let outType: DType =
      dtype == other.dtype
      ? dtype
      : other.rank == 0 && rank > 0
        ? dtype
        : rank == 0 && other.rank > 0 ? other.dtype : .float32
    if shape == other.shape, layout == other.layout, dtype == .float32, other.dtype == .float32 {
      let out = Tensor.empty(shape, dtype: .float32, layout: layout)
      let (a, b, o) = (floats().baseAddress!, other.floats().baseAddress!, out.floats().baseAddress!)
      parallelFor(count) { r in
        kind.run { f in for i in r { o[i] = f(a[i], b[i]) } }
      }
      return out
    }
    if shape == other.shape, layout == other.layout, dtype == .bfloat16, other.dtype == .bfloat16 {
      // bf16 residual adds and gates: widen in registers and round once, with no fp32 copies.
      let out = Tensor.empty(shape, dtype: .bfloat16, layout: layout)
      let (a, b, o) = (bf16Bits().baseAddress!, other.bf16Bits().baseAddress!, out.bf16Bits().baseAddress!)
      parallelFor(count) { r in
        kind.run { f in for i in r { o[i] = BFloat16.bits(f(BFloat16.float(a[i]), BFloat16.float(b[i]))) } }
      }
      return out
    }
    let a = dtype == .float32 ? detached() : convertedUntracked(to: .float32)
    let b = other.dtype == .float32 ? other.detached() : other.convertedUntracked(to: .float32)
    // The output keeps the layout of an operand that already has the full shape.
    let outLayout: Layout =
      (a.shape == outShape && a.layout == .channelsLast) || (b.shape == outShape && b.layout == .channelsLast)
      ? .channelsLast : .rowMajor
    let out = Tensor.empty(outShape, dtype: .float32, layout: outLayout)
    let order = out.storageOrder
    let physShape = order.map { outShape[$0] }
    let sa = a.broadcastStrides(to: outShape)
    let sb = b.broadcastStrides(to: outShape)
    let (pa, pb, po) = (a.floats().baseAddress!, b.floats().baseAddress!, out.floats().baseAddress!)
    withExtendedLifetime((a, b)) {
      forEachRow(physShape, [order.map { sa[$0] }, order.map { sb[$0] }, order.map { out.storageStrides[$0] }]) {
        off, n, inner in
        let (x, y, z) = (pa + off[0], pb + off[1], po + off[2])
        let (ix, iy, iz) = (inner[0], inner[1], inner[2])
        kind.run { f in
          if ix == 1, iy == 1, iz == 1 {
            for i in 0..<n { z[i] = f(x[i], y[i]) }
          } else if ix == 1, iy == 0, iz == 1 {
            let v = y[0]
            for i in 0..<n { z[i] = f(x[i], v) }
          } else if ix == 0, iy == 1, iz == 1 {
            let v = x[0]
            for i in 0..<n { z[i] = f(v, y[i]) }
          } else {
            for i in 0..<n { z[i * iz] = f(x[i * ix], y[i * iy]) }
          }
        }
      }
    }
    return outType == .float32 ? out : out.convertedUntracked(to: outType)
  }

  /// Storage strides of this tensor broadcast to `target` (0 along broadcast dims).
  func broadcastStrides(to target: [Int]) -> [Int] {
    let pad = target.count - rank
    let own = storageStrides
    return (0..<target.count).map { d in
      d < pad ? 0 : (shape[d - pad] == 1 && target[d] != 1 ? 0 : own[d - pad])
    }
  }

  /// Sums a broadcast gradient back down to `target` (the shape an operand had).
  public func summed(toShape target: [Int]) throws -> Tensor {
    if shape == target { return self }
    let pad = rank - target.count
    guard pad >= 0 else {
      throw TensorError.shapeMismatch(op: "sum to shape", shapes: [shape, target], reason: "target has more dims")
    }
    var axes = Array(0..<pad)
    for d in 0..<target.count where target[d] == 1 && shape[d + pad] != 1 { axes.append(d + pad) }
    return try sum(axes: axes, keepDims: false).reshaped(target)
  }
}

// Operators for readable model code: `try a + b * c`.
extension Tensor {
  public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.adding(b) }
  public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.subtracting(b) }
  public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.multiplying(b) }
  public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.dividing(b) }
  public static func + (a: Tensor, b: Float) throws -> Tensor { try a.adding(Tensor(scalar: b)) }
  public static func - (a: Tensor, b: Float) throws -> Tensor { try a.subtracting(Tensor(scalar: b)) }
  public static func * (a: Tensor, b: Float) throws -> Tensor { try a.multiplying(Tensor(scalar: b)) }
  public static func / (a: Tensor, b: Float) throws -> Tensor { try a.dividing(Tensor(scalar: b)) }
  public static prefix func - (a: Tensor) throws -> Tensor { try a.negated() }
}

/// The four broadcasting operations.
enum BinaryKind: String {
  case add, sub, mul, div

  /// Runs `loop` with this operation as a literal closure, once per case, so each
  /// instantiation of the loop inlines its arithmetic.
  @inline(__always)
  func run(_ loop: ((Float, Float) -> Float) -> Void) {
    switch self {
    case .add: loop { $0 + $1 }
    case .sub: loop { $0 - $1 }
    case .mul: loop { $0 * $1 }
    case .div: loop { $0 / $1 }
    }
  }
}
