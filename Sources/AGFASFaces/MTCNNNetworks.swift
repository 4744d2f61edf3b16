import AGFASEngine
import AGFASNN

/// Conv -> PReLU (-> max pool with ceil_mode): the unit all three MTCNN networks stack.
struct ConvUnit: Sendable {
  let conv: Conv2d
  let prelu: PReLU
  /// (kernel, stride) of the pooling after the PReLU, if any.
  let pool: (Int, Int)?

  init(_ path: WeightPath, _ index: Int, _ channels: (Int, Int), kernel: Int, pool: (Int, Int)? = nil) {
    conv = Conv2d(path.child("conv\(index)"), inChannels: channels.0, outChannels: channels.1, kernel: kernel)
    prelu = PReLU(path.child("prelu\(index)"), channels: channels.1)
    self.pool = pool
  }

  func callAsFunction(_ x: Tensor) throws -> Tensor {
    var y = try conv(x)
    // Detection runs without autograd: the PReLU overwrites the convolution's fresh output
    // instead of taking a second buffer as large (PNet's first pyramid level on a 64-megapixel
    // photo: 0.9 GB less at the peak).
    if !GradMode.enabled, !y.requiresGrad, y.dtype == .float32 {
      try y.preluInPlace(weight: prelu.weight.value)
    } else {
      y = try prelu(y)
    }
    guard let (k, s) = pool else { return y }
    return try y.maxPool2d(kernel: (k, k), stride: (s, s), ceilMode: true)
  }
}

/// The dense input of RNet/ONet: [N,C,H,W] read in (N,W,H,C) order, as facenet-pytorch's
/// networks (converted from the Caffe/TF originals) permute (0,3,2,1) before flattening.
func flattenedForDense(_ x: Tensor) throws -> Tensor {
  try x.permuted([0, 3, 2, 1]).reshaped([x.shape[0], x.count / x.shape[0]])
}

/// MTCNN's proposal network: fully convolutional, one 12x12 window per output cell (stride 2).
/// Parameter paths are facenet-pytorch's `pnet.pt` keys.
public struct PNet: Sendable {
  let units: [ConvUnit]
  let classifier: Conv2d
  let regressor: Conv2d

  public init(_ path: WeightPath) {
    units = [
      ConvUnit(path, 1, (3, 10), kernel: 3, pool: (2, 2)),
      ConvUnit(path, 2, (10, 16), kernel: 3),
      ConvUnit(path, 3, (16, 32), kernel: 3),
    ]
    classifier = Conv2d(path.child("conv4_1"), inChannels: 32, outChannels: 2, kernel: 1)
    regressor = Conv2d(path.child("conv4_2"), inChannels: 32, outChannels: 4, kernel: 1)
  }

  /// `x` [N,3,H,W] (normalised pixels, H and W >= 12) -> box offsets [N,4,h,w] and
  /// face/non-face probabilities [N,2,h,w] (softmax over dim 1).
  public func callAsFunction(_ x: Tensor) throws -> (regression: Tensor, probabilities: Tensor) {
    let h = try units.reduce(x) { try $1($0) }
    return (try regressor(h), try classifier(h).softmax(axis: 1))
  }
}

/// MTCNN's refinement network on 24x24 crops. Paths are facenet-pytorch's `rnet.pt` keys.
public struct RNet: Sendable {
  let units: [ConvUnit]
  let dense4: Linear
  let prelu4: PReLU
  let classifier: Linear
  let regressor: Linear

  public init(_ path: WeightPath) {
    units = [
      ConvUnit(path, 1, (3, 28), kernel: 3, pool: (3, 2)),
      ConvUnit(path, 2, (28, 48), kernel: 3, pool: (3, 2)),
      ConvUnit(path, 3, (48, 64), kernel: 2),
    ]
    dense4 = Linear(path.child("dense4"), inFeatures: 576, outFeatures: 128)
    prelu4 = PReLU(path.child("prelu4"), channels: 128)
    classifier = Linear(path.child("dense5_1"), inFeatures: 128, outFeatures: 2)
    regressor = Linear(path.child("dense5_2"), inFeatures: 128, outFeatures: 4)
  }

  /// `x` [N,3,24,24] -> box offsets [N,4] and probabilities [N,2].
  public func callAsFunction(_ x: Tensor) throws -> (regression: Tensor, probabilities: Tensor) {
    let features = try units.reduce(x) { try $1($0) }
    let h = try prelu4(dense4(flattenedForDense(features)))
    return (try regressor(h), try classifier(h).softmax(axis: 1))
  }
}

/// MTCNN's output network on 48x48 crops: probabilities, box offsets and 5 landmarks.
/// Paths are facenet-pytorch's `onet.pt` keys.
public struct ONet: Sendable {
  let units: [ConvUnit]
  let dense5: Linear
  let prelu5: PReLU
  let classifier: Linear
  let regressor: Linear
  let landmarks: Linear

  public init(_ path: WeightPath) {
    units = [
      ConvUnit(path, 1, (3, 32), kernel: 3, pool: (3, 2)),
      ConvUnit(path, 2, (32, 64), kernel: 3, pool: (3, 2)),
      ConvUnit(path, 3, (64, 64), kernel: 3, pool: (2, 2)),
      ConvUnit(path, 4, (64, 128), kernel: 2),
    ]
    dense5 = Linear(path.child("dense5"), inFeatures: 1152, outFeatures: 256)
    prelu5 = PReLU(path.child("prelu5"), channels: 256)
    classifier = Linear(path.child("dense6_1"), inFeatures: 256, outFeatures: 2)
    regressor = Linear(path.child("dense6_2"), inFeatures: 256, outFeatures: 4)
    landmarks = Linear(path.child("dense6_3"), inFeatures: 256, outFeatures: 10)
  }

  /// `x` [N,3,48,48] -> box offsets [N,4], landmarks [N,10] (5 x then 5 y, as fractions of
  /// the crop) and probabilities [N,2].
  public func callAsFunction(_ x: Tensor) throws -> (regression: Tensor, landmarks: Tensor, probabilities: Tensor) {
    let features = try units.reduce(x) { try $1($0) }
    let h = try prelu5(dense5(flattenedForDense(features)))
    return (try regressor(h), try landmarks(h), try classifier(h).softmax(axis: 1))
  }
}
