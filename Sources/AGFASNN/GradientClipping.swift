import AGFASEngine
import Foundation

/// `torch.nn.utils.clip_grad_norm_`: the 2-norm of all gradients together; when it exceeds
/// `maxNorm`, every gradient is scaled by `maxNorm / (norm + 1e-6)`. Returns the norm before
/// clipping (what training logs report). Parameters without a gradient are left out.
public enum GradientClipping {
  @discardableResult
  public static func clipNorm(_ parameters: [Parameter], maxNorm: Float) throws -> Float {
    guard maxNorm.isFinite, maxNorm > 0 else {
      throw TensorError.invalidArgument(op: "clip_grad_norm", reason: "max norm \(maxNorm) must be a finite value > 0")
    }
    let withGrad = parameters.compactMap { p in p.value.grad.map { (p, $0) } }
    // Each gradient's norm is rounded to fp32 before they are combined, as torch stacks them.
    var total: Double = 0
    for (_, g) in withGrad {
      let norm = Float(try sumOfSquares(g).squareRoot())
      total += Double(norm) * Double(norm)
    }
    let norm = Float(total.squareRoot())
    guard norm.isFinite else {
      throw TensorError.invalidArgument(
        op: "clip_grad_norm", reason: "the gradients' norm is \(norm): the loss diverged (lower the learning rate)")
    }
    let coefficient = min(maxNorm / (norm + 1e-6), 1)
    if coefficient < 1 {
      for (p, g) in withGrad { p.value.setGrad(try withoutGrad { try g * coefficient }) }
    }
    return norm
  }

  static func sumOfSquares(_ g: Tensor) throws -> Double {
    let values = try g.fp32RowMajor()
    let v = values.floats()
    var sum: Double = 0
    for i in 0..<values.count { sum += Double(v[i]) * Double(v[i]) }
    return withExtendedLifetime(values) { sum }
  }
}
