/// An element type the normalisation kernels read and write in place: fp32, or bf16 held as
/// its bits. Reading bf16 directly spares an inference-time group norm the fp32 copies of its
/// input and output (each a full pass over memory; over 32 MiB, a fresh mmap too).
protocol NormElement {
  /// The value of element `i` as fp32.
  static func float(_ p: UnsafePointer<Self>, _ i: Int) -> Float
  /// Eight consecutive elements from `p` as fp32.
  static func vector(_ p: UnsafePointer<Self>) -> SIMD8<Float>
  /// `value` rounded to this type.
  static func element(_ value: Float) -> Self
}

extension Float: NormElement {
  @inline(__always)
  static func float(_ p: UnsafePointer<Float>, _ i: Int) -> Float { p[i] }

  @inline(__always)
  static func vector(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
  }

  @inline(__always)
  static func element(_ value: Float) -> Float { value }
}

/// bf16 bits.
extension UInt16: NormElement {
  @inline(__always)
  static func float(_ p: UnsafePointer<UInt16>, _ i: Int) -> Float { BFloat16.float(p[i]) }

  @inline(__always)
  static func vector(_ p: UnsafePointer<UInt16>) -> SIMD8<Float> {
    let bits = SIMD8<UInt32>(truncatingIfNeeded: UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt16>.self)) &<< 16
    return unsafeBitCast(bits, to: SIMD8<Float>.self)
  }

  @inline(__always)
  static func element(_ value: Float) -> UInt16 { BFloat16.bits(value) }
}
