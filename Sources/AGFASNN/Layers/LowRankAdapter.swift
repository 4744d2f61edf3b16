import AGFASEngine
import Synchronization

/// A LoRA adapter of one linear layer, as peft's `lora.Linear` computes it:
/// `y = base(x) + up(down(x)) * scale`, with `down` = `lora_A.weight` [rank, in], `up` =
/// `lora_B.weight` [out, rank] and `scale` = alpha / rank.
public struct LowRankAdapter: Sendable {
  public let down: Parameter
  public let up: Parameter
  public let scale: Float

  public init(down: Parameter, up: Parameter, scale: Float) {
    self.down = down
    self.up = up
    self.scale = scale
  }

  public var rank: Int { down.shape[0] }

  /// The adapter's term `up(down(x)) * scale`, computed in `x`'s dtype.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    let low = try x.linear(weight: down.value.converted(to: x.dtype))
    return try low.linear(weight: up.value.converted(to: x.dtype)) * scale
  }

  /// `scale * up @ down` [out, in] in fp32: what merging adds to the base weight.
  public func delta() throws -> Tensor {
    try withoutGrad {
      try up.value.converted(to: .float32).matmul(down.value.converted(to: .float32)) * scale
    }
  }
}

/// Where a `Linear` keeps its adapter. A class, so the adapter can be attached after the
/// model (a tree of structs) is built; reads are locked because servers share models.
public final class AdapterSlot: Sendable {
  public let inFeatures: Int
  public let outFeatures: Int
  private let adapter = Mutex<LowRankAdapter?>(nil)

  init(inFeatures: Int, outFeatures: Int) {
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
  }

  /// The attached adapter, if any.
  public var current: LowRankAdapter? { adapter.withLock { $0 } }

  /// Attaches `lora` (nil detaches); its shapes must fit the layer.
  public func set(_ lora: LowRankAdapter?) throws {
    if let lora {
      guard lora.down.shape.count == 2, lora.up.shape.count == 2, lora.down.shape[1] == inFeatures,
        lora.up.shape[0] == outFeatures, lora.up.shape[1] == lora.down.shape[0]
      else {
        throw TensorError.shapeMismatch(
          op: "LoRA", shapes: [lora.down.shape, lora.up.shape],
          reason: "down must be [rank, \(inFeatures)] and up [\(outFeatures), rank] for this layer")
      }
    }
    adapter.withLock { $0 = lora }
  }
}
