import AGFASEngine

/// The element type a checkpoint stores a tensor in, named as PyTorch names it (`torch.float16`
/// is `.float16`). Loading widens everything to fp32 except bf16, which stays bf16.
public enum TorchDType: String, Sendable, CaseIterable, CustomStringConvertible {
  case float32, float16, bfloat16, float64
  case int64, int32, int16, int8, uint8, bool

  /// Bytes per element in the file.
  public var byteSize: Int {
    switch self {
    case .float64, .int64: 8
    case .float32, .int32: 4
    case .float16, .bfloat16, .int16: 2
    case .int8, .uint8, .bool: 1
    }
  }

  /// The engine dtype a loaded tensor gets.
  public var engineDType: DType { self == .bfloat16 ? .bfloat16 : .float32 }

  public var description: String { rawValue }

  /// The dtype of a legacy storage class (`torch.FloatStorage` is named "FloatStorage").
  init?(storageType name: String) {
    switch name {
    case "FloatStorage": self = .float32
    case "HalfStorage": self = .float16
    case "BFloat16Storage": self = .bfloat16
    case "DoubleStorage": self = .float64
    case "LongStorage": self = .int64
    case "IntStorage": self = .int32
    case "ShortStorage": self = .int16
    case "CharStorage": self = .int8
    case "ByteStorage", "UntypedStorage": self = .uint8
    case "BoolStorage": self = .bool
    default: return nil
    }
  }

  /// The dtype of a safetensors header dtype ("F32", "BF16", ...).
  init?(safetensors name: String) {
    switch name {
    case "F32": self = .float32
    case "F16": self = .float16
    case "BF16": self = .bfloat16
    case "F64": self = .float64
    case "I64": self = .int64
    case "I32": self = .int32
    case "I16": self = .int16
    case "I8": self = .int8
    case "U8": self = .uint8
    case "BOOL": self = .bool
    default: return nil
    }
  }
}
