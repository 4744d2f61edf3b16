/// 2-D max and average pooling over N,C,H,W tensors (torch.nn.functional.max_pool2d /
/// avg_pool2d), run by oneDNN in fp32 or bf16. Channels-last inputs give channels-last outputs.
extension Tensor {
  /// Max over each `kernel` window (stride defaults to the kernel). Padding is implicit -inf
  /// and may be at most half the kernel; `ceilMode` keeps a last, partial window when it starts
  /// inside the input or its left padding. The gradient goes to the first maximum of each window.
  public func maxPool2d(
    kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), ceilMode: Bool = false
  ) throws -> Tensor {
    let geo = try PoolGeometry(
      op: "maxPool2d", shape: shape, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    return try pooled(PoolKernel(kind: .max, geometry: geo), op: "maxPool2d")
  }

  /// Mean over each `kernel` window (stride defaults to the kernel). With `countIncludePad` the
  /// divisor counts the zero padding but not window parts past it (PyTorch's rule for
  /// `ceilMode` edges); without, it counts only input elements.
  public func avgPool2d(
    kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), ceilMode: Bool = false,
    countIncludePad: Bool = true
  ) throws -> Tensor {
    let geo = try PoolGeometry(
      op: "avgPool2d", shape: shape, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    let kind: PoolKernel.Kind = countIncludePad ? .averageIncludingPadding : .averageExcludingPadding
    return try pooled(PoolKernel(kind: kind, geometry: geo), op: "avgPool2d")
  }

  private func pooled(_ kernel: PoolKernel, op: String) throws -> Tensor {
    // Max pooling needs the argmax workspace only when a backward pass can follow.
    let training = GradMode.enabled && requiresGrad
    let (out, workspace) = try kernel.forward(self, training: training)
    return out.recorded(op, inputs: [self]) { [layout, dtype] g in
      let gout = try g.detached().relaidUntracked(layout).convertedUntracked(to: dtype)
      return [try kernel.backward(gout, workspace: workspace)]
    }
  }
}

/// Where the windows of one pooling call fall, along H then W, by PyTorch's output-size rules.
struct PoolGeometry {
  let batch: Int
  let channels: Int
  let input: [Int]
  let kernel: [Int]
  let stride: [Int]
  let padLeft: [Int]
  let output: [Int]

  init(
    op: String, shape: [Int], kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int), ceilMode: Bool
  ) throws {
    guard shape.count == 4 else {
      throw TensorError.rank(op: op, shape: shape, expected: "an N,C,H,W tensor (rank 4)")
    }
    let k = [kernel.0, kernel.1]
    let s = stride.map { [$0.0, $0.1] } ?? k
    let p = [padding.0, padding.1]
    let args = "kernel \(k), stride \(s), padding \(p)"
    guard k.allSatisfy({ $0 > 0 }), s.allSatisfy({ $0 > 0 }), p.allSatisfy({ $0 >= 0 }) else {
      throw TensorError.invalidArgument(
        op: op, reason: "\(args) on shape \(shape): kernel and stride must be positive, padding non-negative")
    }
    guard p[0] <= k[0] / 2, p[1] <= k[1] / 2 else {
      throw TensorError.invalidArgument(
        op: op, reason: "\(args) on shape \(shape): padding must be at most half the kernel")
    }
    guard shape[2] > 0, shape[3] > 0 else {
      throw TensorError.invalidArgument(op: op, reason: "empty spatial size in shape \(shape)")
    }
    var out = [0, 0]
    for d in 0..<2 {
      let input = shape[2 + d]
      let span = input + 2 * p[d] - k[d] + (ceilMode ? s[d] - 1 : 0)
      guard span >= 0 else {
        throw TensorError.invalidArgument(
          op: op, reason: "\(args): kernel is larger than the padded input of shape \(shape)")
      }
      out[d] = span / s[d] + 1
      // The last window must start inside the input or its left padding.
      if ceilMode, (out[d] - 1) * s[d] >= input + p[d] { out[d] -= 1 }
    }
    (batch, channels, input, self.kernel, self.stride, padLeft, output) = (
      shape[0], shape[1], [shape[2], shape[3]], k, s, p, out
    )
  }

  var inputShape: [Int] { [batch, channels, input[0], input[1]] }
  var outputShape: [Int] { [batch, channels, output[0], output[1]] }

  /// Right padding that makes oneDNN produce `output` windows: the last window's overhang
  /// (possibly past the symmetric padding in ceil mode), never negative.
  var padRight: [Int] {
    (0..<2).map { d in Swift.max(0, (output[d] - 1) * stride[d] + kernel[d] - input[d] - padLeft[d]) }
  }

  /// Per output row (d = 0) or column (d = 1): kernel size over the number of window positions
  /// inside the padded input. PyTorch's include-padding average divides by the latter, oneDNN
  /// by the full kernel; the factors differ from 1 only on ceil-mode edges.
  func includePadCorrection(_ d: Int) -> [Float] {
    (0..<output[d]).map { o in
      let start = o * stride[d] - padLeft[d]
      let end = Swift.min(start + kernel[d], input[d] + padLeft[d])
      return Float(kernel[d]) / Float(end - start)
    }
  }

  /// A cache key for everything but the tensors' type and layout.
  var key: String { "\(inputShape)|k\(kernel)|s\(stride)|p\(padLeft)/\(padRight)" }
}
