import AGFASEngine

/// The anomalous cue (docs/method.md §3): how far a face is from its "real" reconstruction, as the
/// classifier's extra input channels.
public enum AnomalousCue {
  /// Added to the standard deviation so a face identical to its reconstruction stays finite.
  public static let epsilon: Float = 1e-8

  /// `image` and `reconstruction` [B,3,H,W] in [-1,1] -> the network input [B,6,H,W]: the
  /// image, then `res = image - reconstruction` standardised per sample over its whole
  /// 3xHxW (mean, unbiased std + 1e-8), as the reference does per face.
  public static func input(image: Tensor, reconstruction: Tensor) throws -> Tensor {
    guard image.rank == 4, image.shape[1] == 3, image.shape == reconstruction.shape else {
      throw OANetError.input(
        "anomalous cue needs a face and its reconstruction of one shape [B,3,H,W], got \(image.shape) and \(reconstruction.shape)"
      )
    }
    guard image.count / Swift.max(image.shape[0], 1) > 1 else {
      throw OANetError.input("anomalous cue needs more than one value per face for its std, got \(image.shape)")
    }
    let res = try image - reconstruction
    let axes = [1, 2, 3]
    let mean = try res.mean(axes: axes, keepDims: true)
    let std = try res.standardDeviation(axes: axes, unbiased: true, keepDims: true)
    return try Tensor.concat([image, (res - mean) / (std + epsilon)], axis: 1)
  }
}
