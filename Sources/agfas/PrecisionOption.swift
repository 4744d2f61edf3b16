import AGFASEngine
import ArgumentParser

/// The element type a precision name (fp32, bf16) stands for; nil for any other name.
func dtype(named name: String) -> DType? {
  switch name {
  case "fp32": .float32
  case "bf16": .bfloat16
  default: nil
  }
}

/// The element type a `--precision` value names; anything but fp32 or bf16 is refused.
func precisionType(_ value: String) throws -> DType {
  guard let type = dtype(named: value) else {
    throw ValidationError("--precision must be fp32 or bf16, not '\(value)'")
  }
  return type
}
