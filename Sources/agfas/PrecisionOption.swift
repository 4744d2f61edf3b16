import AGFASEngine
import ArgumentParser

/// The element type a `--precision` value names; anything but fp32 or bf16 is refused.
func precisionType(_ value: String) throws -> DType {
  switch value {
  case "fp32": return .float32
  case "bf16": return .bfloat16
  default: throw ValidationError("--precision must be fp32 or bf16, not '\(value)'")
  }
}
