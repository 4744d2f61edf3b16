import Foundation

/// Runs a committed PyTorch benchmark script with a user-supplied Python (a venv with torch)
/// and reads its JSON-lines results. Only `agfas bench` does this, and only when asked:
/// the product itself never runs Python.
public enum TorchReference {
  public enum Failure: Error, CustomStringConvertible {
    case missing(String)
    case failed(String)

    public var description: String {
      switch self {
      case .missing(let what): "PyTorch reference: \(what)"
      case .failed(let what): "PyTorch reference failed: \(what)"
      }
    }
  }

  /// Runs `python script args...` and decodes each stdout line as a `BenchResult`.
  public static func run(python: String, script: String, arguments: [String]) throws -> [BenchResult] {
    guard FileManager.default.isExecutableFile(atPath: python) else {
      throw Failure.missing("no executable Python at \(python) (give the venv's bin/python)")
    }
    guard FileManager.default.fileExists(atPath: script) else {
      throw Failure.missing("script \(script) not found (run from the AGFAS checkout or pass --torch-script)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script] + arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let tail = String(decoding: errData, as: UTF8.self).split(separator: "\n").suffix(5).joined(separator: "\n")
      throw Failure.failed("exit \(process.terminationStatus): \(tail)")
    }
    return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
      try JSONDecoder().decode(BenchResult.self, from: Data($0.utf8))
    }
  }
}
