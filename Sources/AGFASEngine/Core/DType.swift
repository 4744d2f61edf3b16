/// Element type of a tensor's storage.
///
/// Arithmetic that oneDNN does not run happens in fp32; bf16 tensors are widened on read and
/// rounded (to nearest even, as PyTorch does) on write.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
  case float32
  case bfloat16

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .float32: 4
    case .bfloat16: 2
    }
  }

  public var description: String { rawValue }
}

/// bf16 <-> fp32 bit conversions.
public enum BFloat16 {
  /// Rounds an fp32 value to bf16 bits, round-to-nearest-even; NaN stays NaN.
  @inlinable
  public static func bits(_ value: Float) -> UInt16 {
    let b = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: (b >> 16) | 0x40) }
    let rounding = ((b >> 16) & 1) &+ 0x7FFF
    return UInt16(truncatingIfNeeded: (b &+ rounding) >> 16)
  }

  /// Widens bf16 bits to fp32 (exact).
  @inlinable
  public static func float(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
  }

  /// Rounds a value to the nearest bf16 and back, as a bf16 round trip would.
  @inlinable
  public static func round(_ value: Float) -> Float { float(bits(value)) }
}
