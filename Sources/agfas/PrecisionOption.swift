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

/// The name of a compute type as `--precision` spells it.
func precisionName(_ type: DType) -> String {
  type == .bfloat16 ? "bf16" : "fp32"
}

/// `--precision`'s help: what auto picks on this kind of CPU.
let autoPrecisionHelp = "auto picks bf16 where the CPU computes it natively (AVX512_BF16 or AMX), else fp32"

/// Refuses a `--precision` value other than auto, fp32 or bf16 (without resolving auto).
func validatePrecision(_ value: String) throws {
  guard value == "auto" || dtype(named: value) != nil else {
    throw ValidationError("--precision must be auto, fp32 or bf16, not '\(value)'")
  }
}

/// The element type a `--precision` value names; auto is decided by
/// `ComputeBackend.autoPrecision`, and the choice and its reason go to stderr in one line.
/// Call it once per command run.
func precisionType(_ value: String) throws -> DType {
  try validatePrecision(value)
  guard value == "auto" else { return dtype(named: value)! }
  let choice = ComputeBackend.autoPrecision
  stderr("precision auto: \(precisionName(choice.dtype)) (\(choice.reason))")
  return choice.dtype
}
