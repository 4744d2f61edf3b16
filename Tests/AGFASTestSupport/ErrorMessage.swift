/// What `body` throws, as its message, or "no error": for asserting on the words users read.
public func errorMessage(_ body: () throws -> Void) -> String {
  do {
    try body()
    return "no error"
  } catch {
    return "\(error)"
  }
}
