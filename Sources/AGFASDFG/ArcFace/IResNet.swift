import AGFASEngine
import AGFASNN

/// insightface arcface_torch `IBasicBlock`: bn1 -> conv1 (3x3) -> bn2 -> prelu -> conv2 (3x3,
/// stride) -> bn3, added to the input or to its `downsample` (1x1 conv with the stride + BN).
public struct IBasicBlock: Sendable {
  public let bn1: BatchNorm
  public let conv1: Conv2d
  public let bn2: BatchNorm
  public let prelu: PReLU
  public let conv2: Conv2d
  public let bn3: BatchNorm
  /// `downsample.0` / `downsample.1`; nil when stride 1 and channels unchanged.
  public let downsample: (conv: Conv2d, norm: BatchNorm)?

  public init(_ path: WeightPath, inChannels: Int, outChannels: Int, stride: Int) {
    bn1 = BatchNorm(path.child("bn1"), features: inChannels)
    conv1 = Conv2d(
      path.child("conv1"), inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1, bias: false)
    bn2 = BatchNorm(path.child("bn2"), features: outChannels)
    prelu = PReLU(path.child("prelu"), channels: outChannels)
    conv2 = Conv2d(
      path.child("conv2"), inChannels: outChannels, outChannels: outChannels, kernel: 3, stride: stride, padding: 1,
      bias: false)
    bn3 = BatchNorm(path.child("bn3"), features: outChannels)
    if stride != 1 || inChannels != outChannels {
      let d = path.child("downsample")
      downsample = (
        Conv2d(d.child(0), inChannels: inChannels, outChannels: outChannels, kernel: 1, stride: stride, bias: false),
        BatchNorm(d.child(1), features: outChannels)
      )
    } else {
      downsample = nil
    }
  }

  /// Eval mode: BatchNorm uses the running statistics.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    let h = try bn3(conv2(prelu(bn2(conv1(bn1(x))))))
    let identity = try downsample.map { try $0.norm($0.conv(x)) } ?? x
    return try h + identity
  }
}

/// insightface arcface_torch `IResNet` up to `bn2`: the [B, 8w, H/16, W/16] feature map
/// (w = base width; [B,512,7,7] for a 112x112 face). `fc`/`features` (the embedding head) are
/// not built: AG-FAS conditions on the feature map. Parameter paths are the state-dict keys.
public struct IResNet: Sendable {
  public let config: IResNetConfig
  public let conv1: Conv2d
  public let bn1: BatchNorm
  public let prelu: PReLU
  /// layer1...layer4; the first block of each has stride 2 and a downsample.
  public let layers: [[IBasicBlock]]
  public let bn2: BatchNorm

  public init(_ path: WeightPath, config: IResNetConfig) throws {
    try config.validate()
    self.config = config
    let width = config.baseWidth
    conv1 = Conv2d(path.child("conv1"), inChannels: 3, outChannels: width, kernel: 3, padding: 1, bias: false)
    bn1 = BatchNorm(path.child("bn1"), features: width)
    prelu = PReLU(path.child("prelu"), channels: width)
    var inChannels = width
    var stages: [[IBasicBlock]] = []
    for (i, blocks) in config.layers.enumerated() {
      let stage = path.child("layer\(i + 1)")
      let out = config.stageWidth(i)
      stages.append(
        (0..<blocks).map { b in
          IBasicBlock(stage.child(b), inChannels: b == 0 ? inChannels : out, outChannels: out, stride: b == 0 ? 2 : 1)
        })
      inChannels = out
    }
    layers = stages
    bn2 = BatchNorm(path.child("bn2"), features: config.outChannels)
  }

  /// `x` [B,3,H,W] (channels-last is fastest) -> bn2 features [B, 8w, H/16, W/16] (rounded up).
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard x.rank == 4, x.shape[1] == 3 else {
      throw ArcFaceError.input("iresnet expects an image batch [B,3,H,W], got \(x.shape)")
    }
    var h = try prelu(bn1(conv1(x)))
    for block in layers.joined() { h = try block(h) }
    return try bn2(h)
  }
}
