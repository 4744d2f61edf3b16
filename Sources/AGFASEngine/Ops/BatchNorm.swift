/// Batch normalisation (torch.nn.functional.batch_norm) and its running statistics.

/// The running mean and variance of a batch norm layer (PyTorch's `running_mean`,
/// `running_var`, `num_batches_tracked` buffers). Training-mode `batchNorm` replaces them after
/// each call with the momentum update; inference normalises with them.
public final class BatchNormStatistics {
  /// Per-channel running mean, shape [C].
  public var runningMean: Tensor
  /// Per-channel running (unbiased) variance, shape [C].
  public var runningVar: Tensor
  /// Training-mode calls seen (PyTorch increments it in the module; here the op does).
  public var numBatchesTracked: Int

  /// Statistics from a checkpoint (or any [C] tensors).
  public init(runningMean: Tensor, runningVar: Tensor, numBatchesTracked: Int = 0) {
    self.runningMean = runningMean.detached()
    self.runningVar = runningVar.detached()
    self.numBatchesTracked = numBatchesTracked
  }

  /// Fresh statistics, as PyTorch initialises them: mean 0, variance 1.
  public convenience init(channels: Int, dtype: DType = .float32) {
    self.init(runningMean: .zeros([channels], dtype: dtype), runningVar: .ones([channels], dtype: dtype))
  }

  /// `(1 - momentum) * running + momentum * batch` for both statistics, kept in their dtypes.
  func update(mean: [Double], unbiasedVariance: [Double], momentum: Float) throws {
    func blend(_ running: Tensor, _ batch: [Double]) throws -> Tensor {
      let m = Double(momentum)
      let old = running.toArray()
      let new = old.indices.map { Float((1 - m) * Double(old[$0]) + m * batch[$0]) }
      return try Tensor(new, shape: running.shape, dtype: running.dtype)
    }
    runningMean = try blend(runningMean, mean)
    runningVar = try blend(runningVar, unbiasedVariance)
    numBatchesTracked += 1
  }
}

extension Tensor {
  /// Normalises each channel (dim 1) of an [N, C, *] input, then applies the per-channel
  /// `weight` and `bias` ([C] each). Training: statistics of this batch (biased variance),
  /// gradients flow through them, and `running` (when given) gets the momentum update with
  /// the unbiased variance. Inference: `running` statistics, treated as constants.
  /// A channels-last input gives a channels-last output.
  public func batchNorm(
    weight: Tensor?, bias: Tensor?, running: BatchNormStatistics?, training: Bool, momentum: Float = 0.1,
    eps: Float = 1e-5
  ) throws -> Tensor {
    let op = "batchNorm"
    guard rank >= 2 else {
      throw TensorError.rank(op: op, shape: shape, expected: "an input [N, C, *] of rank >= 2")
    }
    let channels = shape[1]
    let perChannel = count / Swift.max(channels, 1)
    if let running {
      for (name, t) in [("running mean", running.runningMean), ("running var", running.runningVar)]
      where t.shape != [channels] {
        throw TensorError.shapeMismatch(
          op: op, shapes: [shape, t.shape], reason: "\(name) must have shape [\(channels)] for this input")
      }
    }
    if training {
      guard perChannel > 1 else {
        throw TensorError.invalidArgument(
          op: op, reason: "training needs more than 1 value per channel, got input \(shape)")
      }
      let (out, mean, variance) = try channelNormalized(
        op, groups: channels, perSample: false, weight: weight, bias: bias, eps: eps)
      let correction = Double(perChannel) / Double(perChannel - 1)
      try running?.update(mean: mean, unbiasedVariance: variance.map { $0 * correction }, momentum: momentum)
      return out
    }
    guard let running else {
      throw TensorError.invalidArgument(op: op, reason: "inference needs running statistics (input \(shape))")
    }
    let mean = running.runningMean.toArray().map(Double.init)
    let rstd = running.runningVar.toArray().map { reciprocalStd(Double($0), eps: eps) }
    return try channelNormalized(
      op, groups: channels, perSample: false, weight: weight, bias: bias, eps: eps, fixed: (mean, rstd)
    ).out
  }
}
