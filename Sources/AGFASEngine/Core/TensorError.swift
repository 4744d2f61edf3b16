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
  /// A oneDNN call failed.
  case backend(op: String, call: String, status: Int)
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
    case .backend(let op, let call, let status):
      return "\(op): oneDNN \(call) failed with status \(status)"
    case .autograd(let reason):
      return "autograd: \(reason)"
    }
  }
}

extension TensorError: CustomDebugStringConvertible {
  public var debugDescription: String { description }
}
