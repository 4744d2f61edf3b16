import AGFASEngine
import AGFASNN

/// A bias-free conv initialised as torchvision's ResNet does (kaiming normal, fan_out, ReLU
/// gain: std = sqrt(2 / (out * k * k))), which is what the random layer4 starts from.
public struct ResNetConv: Sendable {
  public let weight: Parameter
  public let stride: Int
  public let padding: Int

  public init(_ path: WeightPath, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
    let std = (2 / Float(outChannels * kernel * kernel)).squareRoot()
    weight = path.normalParameter("weight", [outChannels, inChannels, kernel, kernel], std: std)
    self.stride = stride
    self.padding = padding
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    try x.conv2d(weight: weight.value, stride: stride, padding: padding)
  }
}

/// torchvision `BasicBlock`: conv3x3 (stride) -> BN -> ReLU -> conv3x3 -> BN, plus the input
/// or its `downsample` (conv1x1 stride + BN), then ReLU.
public struct BasicBlock: Sendable {
  public let conv1: ResNetConv
  public let bn1: BatchNorm
  public let conv2: ResNetConv
  public let bn2: BatchNorm
  /// `downsample.0` / `downsample.1`; nil when stride 1 and channels unchanged.
  public let downsample: (conv: ResNetConv, norm: BatchNorm)?

  public init(_ path: WeightPath, inChannels: Int, outChannels: Int, stride: Int) {
    conv1 = ResNetConv(
      path.child("conv1"), inChannels: inChannels, outChannels: outChannels, kernel: 3, stride: stride, padding: 1)
    bn1 = BatchNorm(path.child("bn1"), features: outChannels)
    conv2 = ResNetConv(path.child("conv2"), inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1)
    bn2 = BatchNorm(path.child("bn2"), features: outChannels)
    if stride != 1 || inChannels != outChannels {
      let d = path.child("downsample")
      downsample = (
        ResNetConv(d.child(0), inChannels: inChannels, outChannels: outChannels, kernel: 1, stride: stride),
        BatchNorm(d.child(1), features: outChannels)
      )
    } else {
      downsample = nil
    }
  }

  /// `training`: BatchNorm normalises with batch statistics and updates its running ones.
  public func callAsFunction(_ x: Tensor, training: Bool) throws -> Tensor {
    let h = try bn2(conv2(bn1(conv1(x), training: training).relu()), training: training)
    let identity = try downsample.map { try $0.norm($0.conv(x), training: training) } ?? x
    return try (h + identity).relu()
  }
}

/// The anomalous-cue encoder (docs/method.md §4): torchvision ResNet-18's conv1 (7x7 s2), bn1, ReLU,
/// maxpool 3x3 s2, layer1...layer4 (two BasicBlocks each), without avgpool/fc. The reference
/// loads conv1...layer3 from ImageNet weights and starts layer4 at random.
public struct CueEncoder: Sendable {
  public let conv1: ResNetConv
  public let bn1: BatchNorm
  public let layers: [[BasicBlock]]

  /// `width`: the stem's channels (64); stages have 1x, 2x, 4x, 8x that. `layer4` is where
  /// the random last stage sits (`OANetKeys.cueLayer4`), apart from the pretrained part.
  public init(_ path: WeightPath, layer4: WeightPath, width: Int) {
    conv1 = ResNetConv(path.child("conv1"), inChannels: 3, outChannels: width, kernel: 7, stride: 2, padding: 3)
    bn1 = BatchNorm(path.child("bn1"), features: width)
    var inChannels = width
    layers = (0..<4).map { i in
      let out = width << i
      let stage = i == 3 ? layer4 : path.child("layer\(i + 1)")
      defer { inChannels = out }
      return [
        BasicBlock(stage.child(0), inChannels: inChannels, outChannels: out, stride: i == 0 ? 1 : 2),
        BasicBlock(stage.child(1), inChannels: out, outChannels: out, stride: 1),
      ]
    }
  }

  /// `cue` [B,3,H,W] (the standardised residual) -> tokens [B, ceil(H/32) * ceil(W/32), 8 * width],
  /// row-major over the layer4 grid (PyTorch's `flatten(2).transpose(1, 2)`).
  public func callAsFunction(_ cue: Tensor, training: Bool) throws -> Tensor {
    var h = try bn1(conv1(cue.channelsLast()), training: training).relu()
      .maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1))
    for block in layers.joined() { h = try block(h, training: training) }
    return try h.imageTokens()
  }
}
