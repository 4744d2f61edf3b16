import CDNNL
import Foundation

/// Element-wise math (PyTorch semantics), forward and backward; results keep the input's
/// layout and dtype.
///
/// exp, sqrt, abs and square run as oneDNN element-wise primitives. log, rsqrt, pow and clamp
/// are Swift loops: oneDNN's log is off by up to ~40 ulps near 1, it has no rsqrt, its pow
/// does not take PyTorch's special-cased exponents, and its clip backward lets the gradient
/// through at the upper bound where torch.clamp does not.
extension Tensor {
  /// e^x. The backward reads the output (grad * e^x), as PyTorch's does.
  public func exp() throws -> Tensor {
    try applying(DNNLEltwise(op: "exp", alg: dnnl_eltwise_exp_use_dst_for_bwd, backwardUsesOutput: true))
  }

  /// Natural logarithm (-inf at 0, NaN below).
  public func log() throws -> Tensor {
    let y = mapped { Foundation.log($0) }
    let x = detached()
    return y.recorded("log", inputs: [self]) { g in [try x.zipped(g) { xi, gi in gi / xi }] }
  }

  /// Square root; the backward is grad / (2 * sqrt(x)), from the output.
  public func sqrt() throws -> Tensor {
    try applying(DNNLEltwise(op: "sqrt", alg: dnnl_eltwise_sqrt_use_dst_for_bwd, backwardUsesOutput: true))
  }

  /// |x|; the gradient is grad * sign(x), zero at 0.
  public func abs() throws -> Tensor {
    try applying(DNNLEltwise(op: "abs", alg: dnnl_eltwise_abs))
  }

  /// x * x.
  public func square() throws -> Tensor {
    try applying(DNNLEltwise(op: "square", alg: dnnl_eltwise_square))
  }

  /// 1 / sqrt(x), rounded as PyTorch does (a division after a correctly rounded sqrt).
  public func rsqrt() throws -> Tensor {
    let y = mapped { 1 / $0.squareRoot() }
    let bf16 = dtype == .bfloat16
    return y.recorded("rsqrt", inputs: [self]) { g in
      // d/dx x^(-1/2) = -x^(-3/2) / 2, computed from the output like PyTorch: -0.5 * g * y^3
      // (y^3 held as a tensor, so rounded on bf16).
      [try y.zipped(g) { yi, gi in -0.5 * gi * Tensor.rounded(Tensor.power(yi, 3, bf16: bf16), bf16) }]
    }
  }

  /// x raised to a constant power (torch.pow with a scalar exponent, including its exact
  /// special cases for 0, ±0.5, 1, 2, 3, -1 and -2). Negative bases give NaN for
  /// non-integral exponents. On bf16 tensors it follows PyTorch step by step: the exponent is
  /// rounded to bf16, and so are x*x inside x^3 and x^-2 and each factor of the gradient.
  public func pow(_ exponent: Float) throws -> Tensor {
    let bf16 = dtype == .bfloat16
    let y = mapped { Tensor.power($0, exponent, bf16: bf16) }
    let x = detached()
    return y.recorded("pow", inputs: [self]) { g in
      // PyTorch defines the gradient of x^0 as zero, also where x^-1 would be infinite.
      if exponent == 0 { return [Tensor.zeros(x.shape, dtype: x.dtype)] }
      return [
        try x.zipped(g) { xi, gi in
          gi * Tensor.rounded(exponent * Tensor.rounded(Tensor.power(xi, exponent - 1, bf16: bf16), bf16), bf16)
        }
      ]
    }
  }

  /// x limited to [min, max] (torch.clamp); either bound may be nil but not both. When
  /// min > max every element becomes max. The gradient passes where x is strictly inside
  /// the bounds: PyTorch gives zero on a bound itself.
  public func clamped(min lower: Float?, max upper: Float?) throws -> Tensor {
    guard lower != nil || upper != nil else {
      throw TensorError.invalidArgument(op: "clamp", reason: "at least one of min and max must be given")
    }
    let (lo, hi) = (lower ?? -.infinity, upper ?? .infinity)
    // Written with comparisons (not Swift.min/max) so that NaN passes through, as in PyTorch.
    let y = mapped { v in
      let t = v < lo ? lo : v
      return t > hi ? hi : t
    }
    let x = detached()
    return y.recorded("clamp", inputs: [self]) { g in
      [try x.zipped(g) { xi, gi in xi > lo && xi < hi ? gi : 0 }]
    }
  }

  /// x^e with the exponents PyTorch computes exactly rather than through powf; `bf16`
  /// rounds where PyTorch's bf16 kernel holds a bf16 value (the caller rounds the result).
  @inline(__always)
  static func power(_ x: Float, _ e: Float, bf16: Bool) -> Float {
    switch e {
    case 0: return 1
    case 1: return x
    case 2: return x * x
    case 3: return rounded(x * x, bf16) * x
    case 0.5: return x.squareRoot()
    case -0.5: return 1 / x.squareRoot()
    case -1: return 1 / x
    case -2: return 1 / rounded(x * x, bf16)
    default: return Foundation.pow(x, rounded(e, bf16))
    }
  }

  @inline(__always)
  static func rounded(_ v: Float, _ bf16: Bool) -> Float { bf16 ? BFloat16.round(v) : v }
}
