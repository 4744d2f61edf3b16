import AGFASEngine
import Foundation

/// `torch.nn.utils.clip_grad_norm_`: the 2-norm of all gradients together; when it exceeds
/// `maxNorm`, every gradient is scaled by `maxNorm / (norm + 1e-6)`. Parameters without a
/// gradient are left out.
public enum GradientClipping {
  /// Scales the gradients in place of PyTorch's `grad.mul_` (as new tensors) and returns the
  /// norm before clipping (what training logs report).
  @discardableResult
  public static func clipNorm(_ parameters: [Parameter], maxNorm: Float) throws -> Float {
    let total = try norm(parameters)
    let scale = try coefficient(norm: total, maxNorm: maxNorm)
    if scale < 1 {
      for p in parameters {
        guard let g = p.value.grad else { continue }
        p.value.setGrad(try scaled(g, by: scale))
      }
    }
    return total
  }

  /// The factor clipping multiplies every gradient by: `min(maxNorm / (norm + 1e-6), 1)`.
  /// Trainers hand it to `AdamW.step(gradientScale:)`, which applies it as it reads each
  /// gradient: the same numbers without writing gigabytes of scaled gradients.
  public static func coefficient(norm: Float, maxNorm: Float) throws -> Float {
    guard maxNorm.isFinite, maxNorm > 0 else {
      throw TensorError.invalidArgument(op: "clip_grad_norm", reason: "max norm \(maxNorm) must be a finite value > 0")
    }
    return min(maxNorm / (norm + 1e-6), 1)
  }

  /// The 2-norm of all the parameters' gradients together; each gradient's norm is rounded to
  /// fp32 before they are combined, as torch stacks them. Throws when it is not finite.
  public static func norm(_ parameters: [Parameter]) throws -> Float {
    var total: Double = 0
    for p in parameters {
      guard let g = p.value.grad else { continue }
      let norm = Float(try sumOfSquares(g).squareRoot())
      total += Double(norm) * Double(norm)
    }
    let norm = Float(total.squareRoot())
    guard norm.isFinite else {
      throw TensorError.invalidArgument(
        op: "clip_grad_norm", reason: "the gradients' norm is \(norm): the loss diverged (lower the learning rate)")
    }
    return norm
  }

  /// In double, in fixed blocks summed in order: the same value on any number of cores.
  static func sumOfSquares(_ g: Tensor) throws -> Double {
    let values = try g.fp32RowMajor()
    let v = values.floats()
    let block = 1 << 16
    let blocks = (values.count + block - 1) / block
    let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(blocks, 1))
    defer { partial.deallocate() }
    parallelFor(blocks, grain: 4) { range in
      for b in range {
        var sum: Double = 0
        for i in (b * block)..<min(values.count, (b + 1) * block) { sum += Double(v[i]) * Double(v[i]) }
        partial[b] = sum
      }
    }
    return withExtendedLifetime(values) { (0..<blocks).reduce(0) { $0 + partial[$1] } }
  }

  /// `g * scale` in fp32, row-major, over the cores.
  static func scaled(_ g: Tensor, by scale: Float) throws -> Tensor {
    let source = try g.fp32RowMajor()
    let out = Tensor.empty(g.shape)
    let (sv, ov) = (source.floats(), out.floats())
    parallelFor(out.count) { range in
      for i in range { ov[i] = sv[i] * scale }
    }
    return withExtendedLifetime(source) { out.converted(to: g.dtype) }
  }
}
