/// Errors raised by tensor operations: the message names the op and the shapes involved.
public enum TensorError: Error, CustomStringConvertible, Equatable {
  /// Operands whose shapes do not fit together.
  case shapeMismatch(op: String, shapes: [[Int]], reason: String)
  /// An operand of the wrong rank.
  case rank(op: String, shape: [Int], expected: String)
  /// An argument outside its valid range (axis, kernel size, ...).
  case invalidArgument(op: String, reason: String)
  /// Element types that the op does not accept together.
  case dtype(op: String, reason: String)
  /// A oneDNN call failed; the message says what that means on this CPU.
  case backend(BackendFailure)
  /// backward() asked of a tensor that no recorded op produced.
  case autograd(String)

  public var description: String {
    func fmt(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
    switch self {
    case .shapeMismatch(let op, let shapes, let reason):
      return "\(op): shapes \(shapes.map(fmt).joined(separator: " and ")) do not fit: \(reason)"
    case .rank(let op, let shape, let expected):
      return "\(op): expected \(expected), got shape \(fmt(shape)) (rank \(shape.count))"
    case .invalidArgument(let op, let reason):
      return "\(op): \(reason)"
    case .dtype(let op, let reason):
      return "\(op): \(reason)"
    case .backend(let failure):
      return failure.description
    case .autograd(let reason):
      return "autograd: \(reason)"
    }
  }
}

extension TensorError: CustomDebugStringConvertible {
  public var debugDescription: String { description }
}

/// A failed oneDNN call with what its message needs: the op, the data type, the instruction-set
/// level oneDNN ran at and whether `ONEDNN_MAX_CPU_ISA` capped it.
public struct BackendFailure: Equatable, Sendable, CustomStringConvertible {
  /// What oneDNN reported, in words.
  public enum Reason: Equatable, Sendable {
    /// No kernel for this op, data type and level (`dnnl_unimplemented`).
    case noKernel
    case outOfMemory
    case invalidArguments
    case runtimeError
    /// Any other oneDNN status (its number, for bug reports).
    case other(Int)

    /// The reason for a oneDNN status number (`dnnl_status_t`).
    public init(oneDNNStatus status: Int) {
      switch status {
      case 1: self = .outOfMemory
      case 2: self = .invalidArguments
      case 3: self = .noKernel
      case 5: self = .runtimeError
      default: self = .other(status)
      }
    }

    public var words: String {
      switch self {
      case .noKernel: "no kernel for it"
      case .outOfMemory: "out of memory"
      case .invalidArguments: "invalid arguments"
      case .runtimeError: "runtime error"
      case .other(let status): "unexpected result (oneDNN status \(status))"
      }
    }
  }

  /// The op, e.g. "conv2d backward data".
  public var op: String
  /// The oneDNN call, e.g. "primitive_desc_create".
  public var call: String
  public var reason: Reason
  /// The data type the primitive was built in ("bf16", "fp32"); nil where none applies.
  public var dataType: String?
  /// The instruction-set level oneDNN used, as `ComputeBackend.isa` names it.
  public var isa: String
  /// The variable and value that capped the level (`ComputeBackend.isaCap`), if set.
  public var isaCap: String?

  public init(op: String, call: String, reason: Reason, dataType: String?, isa: String, isaCap: String?) {
    self.op = op
    self.call = call
    self.reason = reason
    self.dataType = dataType
    self.isa = isa
    self.isaCap = isaCap
  }

  public var description: String {
    switch reason {
    case .noKernel:
      let kernel = dataType.map { "\($0) kernel" } ?? "kernel"
      var text = "\(op): oneDNN has no \(kernel) for this op on this CPU at ISA level \(isa)"
      if let isaCap { text += ", capped by \(isaCap)" }
      var remedies: [String] = []
      if let isaCap, let name = isaCap.split(separator: "=").first {
        remedies.append("unset \(name) to let oneDNN use all of the CPU")
      }
      if dataType == "bf16" { remedies.append("use --precision fp32") }
      if remedies.isEmpty { remedies.append("please report it with the shapes and the model") }
      return text + "; " + remedies.joined(separator: ", or ")
    case .outOfMemory:
      return "\(op): out of memory in oneDNN's \(call); use a smaller batch or free memory"
    case .invalidArguments:
      return "\(op): oneDNN's \(call) refused its arguments (invalid arguments); please report it with the shapes"
    case .runtimeError:
      return "\(op): oneDNN's \(call) failed while running (runtime error)"
    case .other:
      return "\(op): oneDNN's \(call) gave an \(reason.words)"
    }
  }
}
