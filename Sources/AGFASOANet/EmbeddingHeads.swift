import AGFASEngine
import AGFASNN

/// nn.Linear re-initialised as SSDG's heads do: weight from N(0, std), bias a constant.
public struct NormalLinear: Sendable {
  public let weight: Parameter
  public let bias: Parameter

  public init(_ path: WeightPath, inFeatures: Int, outFeatures: Int, std: Float, bias: Float) {
    weight = path.normalParameter("weight", [outFeatures, inFeatures], std: std)
    self.bias = path.parameter("bias", .full(bias, [outFeatures]))
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.linear(weight: weight.value, bias: bias.value) }
}

/// SSDG's `Feature_Embedder` as OA-Net uses it (docs/method.md §4): Linear(hidden, 512) with weight
/// N(0, 0.005) and bias 0.1, then with norm_flag `f / (sqrt(max(|f|_2, 1e-12)) * sqrt(2))`.
public struct NormalizedEmbedder: Sendable {
  public let linear: NormalLinear

  public init(_ path: WeightPath, inFeatures: Int, outFeatures: Int) {
    linear = NormalLinear(path, inFeatures: inFeatures, outFeatures: outFeatures, std: 0.005, bias: 0.1)
  }

  /// `features` [B, hidden] -> embeddings [B, out] of norm sqrt(|f| / 2).
  public func callAsFunction(_ features: Tensor) throws -> Tensor {
    let f = try linear(features)
    // torch: norm(f).clamp(min=1e-12) ** 0.5 * 2 ** 0.5, in that order.
    let norm = try f.square().sum(axes: [1], keepDims: true).sqrt().clamped(min: 1e-12, max: nil).pow(0.5)
    return try f / (norm * Float(2).squareRoot())
  }
}

/// SSDG's `Classifier` with norm_flag (docs/method.md §4): Linear(512, 2), weight N(0, 0.01), bias 0,
/// whose weight is replaced by itself divided by its L2 norm over dim 0 (each input column)
/// before every forward. The reference assigns the normalised weight to `weight.data`, so
/// gradients, weight decay and momentum act on the normalised values; training forwards do
/// the same here. Inference normalises a copy and leaves the parameter alone.
public struct NormalizedClassifier: Sendable {
  public let linear: NormalLinear

  public init(_ path: WeightPath, inFeatures: Int, classes: Int = 2) {
    linear = NormalLinear(path, inFeatures: inFeatures, outFeatures: classes, std: 0.01, bias: 0)
  }

  /// `embeddings` [B, in] -> logits [B, classes].
  public func callAsFunction(_ embeddings: Tensor, training: Bool) throws -> Tensor {
    let p = linear.weight
    // In mixed precision the fp32 master is normalised, so the update acts on it.
    let source = training ? p.trainedValue : p.value
    let normalized = try withoutGrad {
      let w = source.detached()
      return try w / w.square().sum(axes: [0], keepDims: true).sqrt()
    }
    var weight = normalized
    if training {
      // A fresh leaf when the old value was one (after SGD.zeroGrad): the gradient lands on
      // the normalised weight, as on PyTorch's `weight.data` replacement.
      weight = p.replaceTrainedValue(with: source.requiresGrad ? normalized.requiringGrad() : normalized)
    }
    return try embeddings.linear(weight: weight, bias: linear.bias.value)
  }
}
