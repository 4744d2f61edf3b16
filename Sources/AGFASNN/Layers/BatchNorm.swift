import AGFASEngine

/// nn.BatchNorm1d/2d: affine `weight`/`bias` and the buffers `running_mean`, `running_var`,
/// `num_batches_tracked`, updated in training mode as PyTorch updates them.
public struct BatchNorm: Sendable {
  public let eps: Float
  public let momentum: Float
  public let weight: Parameter
  public let bias: Parameter
  public let runningMean: Parameter
  public let runningVar: Parameter
  public let numBatchesTracked: Parameter

  public init(_ path: WeightPath, features: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
    self.eps = eps
    self.momentum = momentum
    weight = path.parameter("weight", .ones([features]))
    bias = path.parameter("bias", .zeros([features]))
    runningMean = path.buffer("running_mean", .zeros([features]))
    runningVar = path.buffer("running_var", .ones([features]))
    numBatchesTracked = path.buffer("num_batches_tracked", .zeros([]))
  }

  /// Normalises with batch statistics when `training` (and updates the running ones),
  /// with the running statistics otherwise.
  public func callAsFunction(_ x: Tensor, training: Bool = false) throws -> Tensor {
    let stats = BatchNormStatistics(
      runningMean: runningMean.value, runningVar: runningVar.value,
      numBatchesTracked: Int(numBatchesTracked.value.toArray().first ?? 0))
    let y = try x.batchNorm(
      weight: weight.value, bias: bias.value, running: stats, training: training, momentum: momentum, eps: eps)
    if training {
      runningMean.value = stats.runningMean
      runningVar.value = stats.runningVar
      numBatchesTracked.value = Tensor(scalar: Float(stats.numBatchesTracked))
    }
    return y
  }
}

/// nn.PReLU with one slope per channel.
public struct PReLU: Sendable {
  public let weight: Parameter

  public init(_ path: WeightPath, channels: Int, initial: Float = 0.25) {
    weight = path.parameter("weight", .full(initial, [channels]))
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.prelu(weight: weight.value) }
}
