/// Why a pickle was refused or could not be read.
public enum PickleError: Error, CustomStringConvertible, Equatable {
  /// The pickle names a class or function outside the allow-list (it would run code).
  case forbiddenGlobal(module: String, name: String)
  /// The pickle uses an opcode this reader does not interpret.
  case unsupportedOpcode(position: Int, opcode: UInt8)
  /// The bytes are not a well-formed pickle, or build something a checkpoint cannot hold.
  case malformed(position: Int?, reason: String)

  /// The message, control characters escaped (globals and reasons hold text from the file).
  public var description: String { ControlCharacters.escaped(text) }

  private var text: String {
    switch self {
    case .forbiddenGlobal(let module, let name):
      return "pickle: global '\(module).\(name)' is not allowed "
        + "(a checkpoint may name only what state dicts are made of, so that loading it cannot run code)"
    case .unsupportedOpcode(let position, let opcode):
      let name = PickleOpcode(rawValue: opcode).map { " (\($0))" } ?? ""
      return "pickle: at byte \(position): unsupported opcode 0x\(String(opcode, radix: 16))\(name)"
    case .malformed(let position, let reason):
      return "pickle: " + (position.map { "at byte \($0): " } ?? "") + reason
    }
  }
}
