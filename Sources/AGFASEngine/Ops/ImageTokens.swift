/// Zero-copy moves between channels-last images and token sequences.
///
/// A channels-last [N, C, H, W] tensor is stored as N, H, W, C: exactly the row-major
/// [N, H*W, C] token matrix that attention layers read (PyTorch's
/// `x.permute(0, 2, 3, 1).reshape(N, H*W, C)` and back). Sharing the storage saves the two
/// permuting copies around every transformer in a UNet.
extension Tensor {
  /// This image [N, C, H, W] as tokens [N, H*W, C] (row-major). Free for a channels-last
  /// input; any other layout is reordered once first.
  public func imageTokens() throws -> Tensor {
    guard rank == 4 else {
      throw TensorError.rank(op: "imageTokens", shape: shape, expected: "an image [N, C, H, W] of rank 4")
    }
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let image = try relaidUntracked(.channelsLast)
    let out = Tensor(shape: [n, h * w, c], dtype: dtype, storage: image.storage)
    return out.recorded("imageTokens", inputs: [self]) { g in [try g.tokensImage(height: h, width: w)] }
  }

  /// Tokens [N, H*W, C] as the channels-last image [N, C, H, W]: no copy (the inverse of
  /// `imageTokens`).
  public func tokensImage(height: Int, width: Int) throws -> Tensor {
    guard rank == 3, height > 0, width > 0, shape[1] == height * width else {
      throw TensorError.shapeMismatch(
        op: "tokensImage", shapes: [shape, [height, width]],
        reason: "tokens must be [N, height*width, C] = [N, \(height * width), C]")
    }
    let (n, c) = (shape[0], shape[2])
    let out = Tensor(shape: [n, c, height, width], dtype: dtype, layout: .channelsLast, storage: storage)
    return out.recorded("tokensImage", inputs: [self]) { g in [try g.imageTokens()] }
  }
}
