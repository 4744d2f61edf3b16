/// Group normalisation (torch.nn.functional.group_norm), the UNet/VAE normalisation.
extension Tensor {
  /// Normalises each sample's channels in `groups` equal groups over the channels and all
  /// positions of the group, then applies the per-channel `weight` and `bias` ([C] each).
  /// Input: [N, C, *] in any layout; a channels-last input gives a channels-last output
  /// (the UNet runs NHWC). Statistics: two-pass mean and biased variance per (sample, group).
  public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) throws -> Tensor {
    let op = "groupNorm"
    guard rank >= 2 else {
      throw TensorError.rank(op: op, shape: shape, expected: "an input [N, C, *] of rank >= 2")
    }
    guard groups > 0, shape[1] % groups == 0 else {
      throw TensorError.invalidArgument(
        op: op, reason: "the \(shape[1]) channels of input \(shape) do not divide into \(groups) groups")
    }
    return try channelNormalized(op, groups: groups, perSample: true, weight: weight, bias: bias, eps: eps).out
  }
}
