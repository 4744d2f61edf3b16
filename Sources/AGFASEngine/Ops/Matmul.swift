/// Matrix products: torch.matmul and F.linear, forward and backward, on oneDNN's matmul.
///
/// Both compute in the first operand's dtype (bf16 with fp32 accumulation). Transposed
/// operands in the backward pass are strided views, never copies.
extension Tensor {
  /// The matrix product with torch.matmul semantics: the last two dims multiply and the
  /// leading (batch) dims broadcast; a rank-1 operand acts as a row (left) or column (right)
  /// vector whose dim is dropped from the result.
  public func matmul(_ other: Tensor) throws -> Tensor {
    let op = "matmul"
    guard rank >= 1, other.rank >= 1 else {
      throw TensorError.shapeMismatch(op: op, shapes: [shape, other.shape], reason: "operands need rank >= 1")
    }
    let (k, otherK) = (shape[rank - 1], other.shape[Swift.max(other.rank - 2, 0)])
    guard k == otherK else {
      throw TensorError.shapeMismatch(
        op: op, shapes: [shape, other.shape], reason: "inner dims \(k) and \(otherK) differ")
    }
    guard Shape.broadcast(Array(shape.dropLast(2)), Array(other.shape.dropLast(2))) != nil else {
      throw TensorError.shapeMismatch(op: op, shapes: [shape, other.shape], reason: "batch dims do not broadcast")
    }
    if rank == 1 || other.rank == 1 {
      // A vector becomes a one-row or one-column matrix and its dim leaves the result.
      let a = rank == 1 ? try reshaped([1, k]) : self
      let b = other.rank == 1 ? try other.reshaped([k, 1]) : other
      let out = try a.matmul(b)
      var outShape = out.shape
      if other.rank == 1 { outShape.removeLast() }
      if rank == 1 { outShape.remove(at: outShape.count - (other.rank == 1 ? 1 : 2)) }
      return try out.reshaped(outShape)
    }
    let out = try Tensor.product(self, other, op: op)
    // Each operand is kept only when the other one needs its gradient.
    let savedA = other.requiresGrad ? detached() : nil
    let savedB = requiresGrad ? other.detached() : nil
    let (otherShape, otherType) = (other.shape, other.dtype)
    return out.recorded(op, inputs: [self, other]) { [shape, dtype] g in
      [
        try savedB.map {
          try Tensor.product(g, $0, transB: true, op: "matmul backward").summed(toShape: shape).converted(to: dtype)
        },
        try savedA.map { try Tensor.transposedProduct($0, g, toShape: otherShape).converted(to: otherType) },
      ]
    }
  }

  /// F.linear: `self` [..., in] times the transpose of `weight` [out, in] (the row-major
  /// layout of checkpoints), plus `bias` [out]. The weight is packed for oneDNN once per
  /// storage.
  public func linear(weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
    let op = "linear"
    guard weight.rank == 2 else {
      throw TensorError.rank(op: op, shape: weight.shape, expected: "a weight of rank 2 [out, in]")
    }
    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
    guard rank >= 1, shape[rank - 1] == inFeatures else {
      throw TensorError.shapeMismatch(
        op: op, shapes: [shape, weight.shape], reason: "input's last dim must equal the weight's in = \(inFeatures)")
    }
    if let bias, bias.shape != [outFeatures] {
      throw TensorError.shapeMismatch(
        op: op, shapes: [weight.shape, bias.shape], reason: "bias must have shape [out] = [\(outFeatures)]")
    }
    let lead = Array(shape.dropLast())
    let rows = Shape.count(lead)
    let x = try matrixOperand(dtype).reshaped([rows, inFeatures])
    let b = try bias.map { try $0.matrixOperand(dtype) }
    var out = Tensor.empty([rows, outFeatures], dtype: dtype)
    if inFeatures == 0 {
      out = try Tensor.zeros(out.shape, dtype: dtype).adding(b ?? Tensor(scalar: 0, dtype: dtype))
    } else if out.count > 0 {
      try withExtendedLifetime((x, b)) {
        try dnnlLinear(MatrixView(x), weight: weight, bias: b, into: MatrixView(out), op: op)
      }
    }
    let savedX = weight.requiresGrad ? x : nil
    let savedW = requiresGrad ? weight.detached() : nil
    let inputs = [self, weight] + (bias.map { [$0] } ?? [])
    let (weightType, biasType, biasNeedsGrad) = (weight.dtype, bias?.dtype, bias?.requiresGrad ?? false)
    return try out.reshaped(lead + [outFeatures]).recorded(op, inputs: inputs) { [shape, dtype] g in
      let g2 = try g.reshaped([rows, outFeatures])
      var grads: [Tensor?] = [
        try savedW.map { try Tensor.product(g2, $0, op: "linear backward").reshaped(shape).converted(to: dtype) },
        try savedX.map {
          try Tensor.product(g2, transA: true, $0, op: "linear backward").converted(to: weightType)
        },
      ]
      if let biasType { grads.append(biasNeedsGrad ? try g2.sum(axes: [0]).converted(to: biasType) : nil) }
      return grads
    }
  }
}

extension Tensor {
  /// Untracked `scale * op(a) @ op(b)` with batch dims broadcast, where op transposes the last
  /// two dims (by strides) when asked. Computes in `a`'s dtype and returns `outType` (default:
  /// that dtype).
  static func product(
    _ a: Tensor, transA: Bool = false, _ b: Tensor, transB: Bool = false, scale: Float = 1, outType: DType? = nil,
    op: String
  ) throws -> Tensor {
    let (a, b) = (try a.matrixOperand(a.dtype), try b.matrixOperand(a.dtype))
    let (va, vb) = (MatrixView(a, transposed: transA), MatrixView(b, transposed: transB))
    guard va.cols == vb.rows, let batch = Shape.broadcast(va.batch, vb.batch) else {
      throw TensorError.shapeMismatch(
        op: op, shapes: [a.shape, b.shape],
        reason: "matrices \(va.rows)x\(va.cols) and \(vb.rows)x\(vb.cols) do not multiply")
    }
    let out = Tensor.empty(batch + [va.rows, vb.cols], dtype: outType ?? a.dtype)
    if out.count == 0 { return out }
    if va.cols == 0 { return Tensor.zeros(out.shape, dtype: out.dtype) }
    let views = MatrixView.coalesced([va.broadcast(to: batch), vb.broadcast(to: batch), MatrixView(out)])
    try withExtendedLifetime((a, b)) {
      try dnnlMatmul(views[0], views[1], into: views[2], scale: scale, op: op)
    }
    return out
  }

  /// `a^T @ g` summed over the batch dims that `target` (the other operand's shape)
  /// broadcast over: the gradient of a matmul's right operand. When that operand is one
  /// matrix for the whole batch, the batch folds into the reduction: a single GEMM, no sum.
  static func transposedProduct(_ a: Tensor, _ g: Tensor, toShape target: [Int]) throws -> Tensor {
    let op = "matmul backward"
    if target.dropLast(2).allSatisfy({ $0 == 1 }), a.shape.dropLast(2) == g.shape.dropLast(2), a.rank > 2,
      a.count > 0
    {
      let (k, n) = (a.shape[a.rank - 1], g.shape[g.rank - 1])
      return try product(a.reshaped([-1, k]), transA: true, g.reshaped([-1, n]), op: op).reshaped(target)
    }
    return try product(a, transA: true, g, op: op).summed(toShape: target)
  }

  /// This tensor untracked, row-major and in `dtype`: what the matmul kernels read.
  func matrixOperand(_ dtype: DType) throws -> Tensor {
    var t = detached()
    if t.layout != .rowMajor { t = try t.relaidUntracked(.rowMajor) }
    return t.convertedUntracked(to: dtype)
  }
}
