/// 2-D convolution (PyTorch `F.conv2d`) on oneDNN, forward and backward.
///
/// Activations run channels-last: an input in another layout is reordered first, and the
/// output (and the input gradient) come back `.channelsLast`. Weights keep PyTorch's OIHW
/// shape; the blocked copy oneDNN wants is made once per weight storage and cached on it
/// (call `storage.invalidateDerived()` after updating a weight in place).
extension Tensor {
  /// Convolves this `[N, Cin, H, W]` input with `weight` `[Cout, Cin/groups, kH, kW]` and adds
  /// `bias` `[Cout]`; stride, padding and dilation are (height, width) pairs as in PyTorch.
  /// Runs in the input's dtype (fp32 or bf16; a weight of the other dtype is converted once).
  public func conv2d(
    weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
    dilation: (Int, Int) = (1, 1), groups: Int = 1
  ) throws -> Tensor {
    let g = try convGeometry(
      weight: weight, bias: bias, stride: [stride.0, stride.1], padding: [padding.0, padding.1],
      dilation: [dilation.0, dilation.1], groups: groups)
    let inputs = [self, weight] + (bias.map { [$0] } ?? [])
    let training = GradMode.enabled && inputs.contains { $0.requiresGrad }
    // A strided 1x1 convolution reads only every stride-th pixel: it runs as a subsample and
    // a stride-1 1x1 convolution. Besides saving work, this keeps clear of oneDNN's AVX2
    // 1x1 backward-weights kernel, which gives wrong weight gradients for strided
    // channels-last inputs with few channels (oneDNN issue 6035; docs/engine.md).
    let pointwise = g.stridedPointwise
    let source = try relaidUntracked(.channelsLast)
    let x = pointwise == nil ? source : source.pixelsSubsampled(g.stride)
    let k = pointwise ?? g
    let out = try DNNLConvolution.forward(x, weight: weight, bias: bias, k, training: training)
    let (needInput, needWeight, needBias) = (requiresGrad, weight.requiresGrad, bias?.requiresGrad ?? false)
    let biasType = bias?.dtype ?? .float32
    return out.recorded("conv2d", inputs: inputs) { [weight] gradOut in
      let gy = try gradOut.relaidUntracked(.channelsLast).convertedUntracked(to: g.dtype)
      var gx = needInput ? try DNNLConvolution.backwardData(gy, weight: weight, k) : nil
      if pointwise != nil { gx = gx?.pixelsScattered(g.stride, height: g.height, width: g.width) }
      var grads: (weight: Tensor, bias: Tensor?)? = nil
      if needWeight || needBias {
        grads = try DNNLConvolution.backwardWeights(x, gy, k, weightType: weight.dtype, biasType: biasType)
      }
      let gw = needWeight ? grads?.weight : nil
      return g.hasBias ? [gx, gw, needBias ? grads?.bias : nil] : [gx, gw]
    }
  }

  /// `conv2d` with the same stride, padding and dilation along height and width.
  @_disfavoredOverload
  public func conv2d(
    weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1
  ) throws -> Tensor {
    try conv2d(
      weight: weight, bias: bias, stride: (stride, stride), padding: (padding, padding),
      dilation: (dilation, dilation), groups: groups)
  }

  /// Validates a conv2d call and describes it for the kernels.
  func convGeometry(
    weight: Tensor, bias: Tensor?, stride: [Int], padding: [Int], dilation: [Int], groups: Int
  ) throws -> ConvGeometry {
    let op = "conv2d"
    guard rank == 4 else { throw TensorError.rank(op: op, shape: shape, expected: "an input of rank 4 [N, Cin, H, W]") }
    guard weight.rank == 4 else {
      throw TensorError.rank(op: op, shape: weight.shape, expected: "a weight of rank 4 [Cout, Cin/groups, kH, kW]")
    }
    guard stride.allSatisfy({ $0 >= 1 }), dilation.allSatisfy({ $0 >= 1 }), padding.allSatisfy({ $0 >= 0 }),
      groups >= 1
    else {
      throw TensorError.invalidArgument(
        op: op,
        reason: "stride \(stride) and dilation \(dilation) must be >= 1, padding \(padding) >= 0, groups \(groups) >= 1"
      )
    }
    let (cin, cout) = (shape[1], weight.shape[0])
    guard shape.allSatisfy({ $0 >= 0 }), cin >= 1, weight.shape.allSatisfy({ $0 >= 1 }) else {
      throw TensorError.shapeMismatch(op: op, shapes: [shape, weight.shape], reason: "empty channel or kernel dims")
    }
    guard cin % groups == 0, cin == weight.shape[1] * groups else {
      throw TensorError.shapeMismatch(
        op: op, shapes: [shape, weight.shape],
        reason: "input has \(cin) channels but the weight expects \(weight.shape[1]) per group x \(groups) groups")
    }
    guard cout % groups == 0 else {
      throw TensorError.shapeMismatch(
        op: op, shapes: [shape, weight.shape], reason: "\(cout) output channels do not divide into \(groups) groups")
    }
    if let bias, bias.shape != [cout] {
      throw TensorError.shapeMismatch(
        op: op, shapes: [weight.shape, bias.shape], reason: "bias must have shape [\(cout)] (one per output channel)")
    }
    let g = ConvGeometry(
      batch: shape[0], inChannels: cin, height: shape[2], width: shape[3], outChannels: cout,
      kernelH: weight.shape[2], kernelW: weight.shape[3], stride: stride, padding: padding, dilation: dilation,
      groups: groups, dtype: dtype, hasBias: bias != nil)
    // Compare before dividing by the stride: Swift's division rounds a negative span towards 0.
    let spanH = shape[2] + 2 * padding[0] - dilation[0] * (g.kernelH - 1) - 1
    let spanW = shape[3] + 2 * padding[1] - dilation[1] * (g.kernelW - 1) - 1
    guard spanH >= 0, spanW >= 0 else {
      throw TensorError.shapeMismatch(
        op: op, shapes: [shape, weight.shape],
        reason: "padding \(padding) and dilation \(dilation) leave no output position (output size must be >= 1)")
    }
    return g
  }
}
