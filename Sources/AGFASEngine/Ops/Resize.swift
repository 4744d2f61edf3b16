/// 2-D resizing of [N, C, H, W] images: bilinear, nearest (integer scale), area / adaptive
/// average pooling, matching F.interpolate and F.adaptive_avg_pool2d.
///
/// Outputs and gradients keep the layout they come in (channels-last stays channels-last, the
/// UNet path). bf16 computes in fp32 and rounds once; the nearest copy moves bf16 bits as is.

/// A resampling kernel on fp32 buffers: (source, its view, destination, its view).
typealias ResampleKernel = (UnsafePointer<Float>, PlaneView, UnsafeMutablePointer<Float>, PlaneView) -> Void

extension Tensor {
  /// Bilinear resize to height x width: F.interpolate(mode="bilinear", align_corners=False,
  /// antialias=False), up or down by any ratio (e.g. 256 -> 224 crops for ViT).
  public func resizedBilinear(height: Int, width: Int) throws -> Tensor {
    try resampled("resizeBilinear", height, width, bilinearResize, bilinearResizeBackward)
  }

  /// Area resize to height x width: F.interpolate(mode="area"), i.e. adaptive average pooling
  /// (MTCNN's image pyramid).
  public func resizedArea(height: Int, width: Int) throws -> Tensor {
    try resampled("resizeArea", height, width, areaResize, areaResizeBackward)
  }

  /// Adaptive average pooling to height x width (F.adaptive_avg_pool2d; ResNet's (1, 1) head).
  public func adaptiveAvgPool2d(height: Int, width: Int) throws -> Tensor {
    try resampled("adaptiveAvgPool2d", height, width, areaResize, areaResizeBackward)
  }

  /// Nearest-neighbour upsampling by an integer factor: F.interpolate(scale_factor=scale,
  /// mode="nearest"), the SD UNet/VAE upsampler. The gradient sums each scale x scale block.
  public func upsampledNearest(scale: Int = 2) throws -> Tensor {
    let op = "upsampleNearest"
    try checkImage(op)
    guard scale >= 1 else {
      throw TensorError.invalidArgument(op: op, reason: "scale \(scale) must be at least 1 (input \(shape))")
    }
    if scale == 1 { return self }
    let out = Tensor.empty(
      [shape[0], shape[1], shape[2] * scale, shape[3] * scale], dtype: dtype, layout: layout)
    let v = PlaneView(self)
    switch dtype {
    case .float32:
      nearestUpsample(UnsafePointer(floats().baseAddress!), v, scale: scale, into: out.floats().baseAddress!)
    case .bfloat16:
      nearestUpsample(UnsafePointer(bf16Bits().baseAddress!), v, scale: scale, into: out.bf16Bits().baseAddress!)
    }
    return out.recorded(op, inputs: [self]) { [shape, dtype] g in
      [
        g.resampleGradient(to: shape, dtype: dtype) { g, _, gx, inputView in
          nearestUpsampleBackward(g, inputView, scale: scale, into: gx)
        }
      ]
    }
  }

  private func checkImage(_ op: String) throws {
    guard rank == 4 else { throw TensorError.rank(op: op, shape: shape, expected: "rank 4 [N, C, H, W]") }
    guard shape[2] > 0, shape[3] > 0 else {
      throw TensorError.invalidArgument(op: op, reason: "input \(shape) has an empty image")
    }
  }

  /// Validates, runs `forward` in fp32 in this layout, and records `backward`.
  private func resampled(
    _ op: String, _ height: Int, _ width: Int, _ forward: ResampleKernel, _ backward: @escaping ResampleKernel
  ) throws -> Tensor {
    try checkImage(op)
    guard height > 0, width > 0 else {
      throw TensorError.invalidArgument(
        op: op, reason: "output size \(height)x\(width) must be positive (input \(shape))")
    }
    let x = convertedUntracked(to: .float32)
    let y = Tensor.empty([shape[0], shape[1], height, width], dtype: .float32, layout: layout)
    forward(UnsafePointer(x.floats().baseAddress!), PlaneView(x), y.floats().baseAddress!, PlaneView(y))
    return y.convertedUntracked(to: dtype).recorded(op, inputs: [self]) { [shape, dtype] g in
      [g.resampleGradient(to: shape, dtype: dtype, backward)]
    }
  }

  /// Untracked: the input gradient (`inputShape`, `dtype`) from this output gradient, kept in
  /// this gradient's layout. `kernel` gets (gradient, its view, zeroed input gradient, view).
  private func resampleGradient(to inputShape: [Int], dtype: DType, _ kernel: ResampleKernel) -> Tensor {
    let g = convertedUntracked(to: .float32)
    let gx = Tensor.filled(0, inputShape, dtype: .float32, layout: layout)
    kernel(UnsafePointer(g.floats().baseAddress!), PlaneView(g), gx.floats().baseAddress!, PlaneView(gx))
    return gx.convertedUntracked(to: dtype)
  }
}
