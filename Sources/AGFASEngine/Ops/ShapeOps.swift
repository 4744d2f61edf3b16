/// Views and re-arrangements: reshape, permute/transpose. (Concat, slice, pad: ShapeOps+Join.)
extension Tensor {
  /// The same elements in row-major order under a new shape; one dim may be -1.
  public func reshaped(_ newShape: [Int]) throws -> Tensor {
    var target = newShape
    if let i = target.firstIndex(of: -1) {
      let known = target.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
      guard known > 0, count % known == 0 else {
        throw TensorError.shapeMismatch(op: "reshape", shapes: [shape, newShape], reason: "cannot infer -1")
      }
      target[i] = count / known
    }
    guard Shape.count(target) == count, target.allSatisfy({ $0 >= 0 }) else {
      throw TensorError.shapeMismatch(op: "reshape", shapes: [shape, newShape], reason: "element counts differ")
    }
    if target == shape { return self }
    let src = layout == .rowMajor ? self : try relaidUntracked(.rowMajor)
    let out = Tensor(shape: target, dtype: dtype, storage: src.storage)
    return out.recorded("reshape", inputs: [self]) { [shape] g in [try g.reshaped(shape)] }
  }

  /// Dimensions re-ordered: output dim i is input dim `order[i]` (torch.permute).
  public func permuted(_ order: [Int]) throws -> Tensor {
    guard order.count == rank, Set(order) == Set(0..<rank) else {
      throw TensorError.invalidArgument(op: "permute", reason: "\(order) is not a permutation of the dims of \(shape)")
    }
    if order == Array(0..<rank) { return self }
    let outShape = order.map { shape[$0] }
    let own = storageStrides
    let out = Tensor.empty(outShape, dtype: dtype)
    copyElements(
      self, StridedView(offset: 0, strides: order.map { own[$0] }), into: out, StridedView(out), shape: outShape,
      order: Array(0..<rank))
    var inverse = [Int](repeating: 0, count: rank)
    for (i, o) in order.enumerated() { inverse[o] = i }
    return out.recorded("permute", inputs: [self]) { g in [try g.permuted(inverse)] }
  }

  /// Swaps two dimensions (torch.transpose).
  public func transposed(_ a: Int, _ b: Int) throws -> Tensor {
    let x = try Shape.axis(a, rank: rank, op: "transpose")
    let y = try Shape.axis(b, rank: rank, op: "transpose")
    var order = Array(0..<rank)
    order.swapAt(x, y)
    return try permuted(order)
  }
}
