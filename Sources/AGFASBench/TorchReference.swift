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
      case .missing(let what): "reference: \(what)"
      case .failed(let what): "reference failed: \(what)"
      }
    }
  }

  /// Runs `python script args...` and decodes each stdout line as a `BenchResult`. The line
  /// `{"stack": ...}` the scripts print first (versions, CPU capability, threads) goes to `log`
  /// with the ISA caps passed on: stdout by default, above the table the bench commands print.
  /// `side` names the peer in those lines and in errors ("PyTorch", "OpenVINO").
  public static func run(
    python: String, script: String, arguments: [String], side: String = "PyTorch",
    log: (String) -> Void = { print($0) }
  ) throws -> [BenchResult] {
    guard FileManager.default.isExecutableFile(atPath: python) else {
      throw Failure.missing("no executable Python at \(python) (give the venv's bin/python)")
    }
    guard FileManager.default.fileExists(atPath: script) else {
      throw Failure.missing("script \(script) not found (run from the AGFAS checkout or pass the script's option)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script] + arguments
    let env = environment(ProcessInfo.processInfo.environment)
    process.environment = env
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
      throw Failure.failed("\(side) side, exit \(process.terminationStatus): \(tail)")
    }
    var results: [BenchResult] = []
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
      if let stack = try? JSONDecoder().decode(Stack.self, from: Data(line.utf8)) {
        let caps = capNames.compactMap { name in env[name].map { "\(name)=\($0)" } }
        log("\(side) side: \(stack.stack)" + (caps.isEmpty ? "" : " (\(caps.joined(separator: ", ")))"))
      } else if let note = try? JSONDecoder().decode(Note.self, from: Data(line.utf8)) {
        log("\(side) side: \(note.note)")
      } else {
        results.append(try JSONDecoder().decode(BenchResult.self, from: Data(line.utf8)))
      }
    }
    return results
  }

  /// What the scripts report about the PyTorch they ran on.
  private struct Stack: Decodable {
    let stack: String
  }

  /// A line a script reports besides its timings (`{"note": ...}`: peak memory, skipped parts).
  private struct Note: Decodable {
    let note: String
  }

  /// The variables that cap the vector ISA of oneDNN, ATen and MKL.
  static let capNames = ["ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS"]

  /// The child's environment: the parent's, plus, when oneDNN is capped with
  /// `ONEDNN_MAX_CPU_ISA`, the same cap for ATen's own vector kernels and for MKL (PyTorch's
  /// bundled oneDNN reads ONEDNN_MAX_CPU_ISA itself), unless the user set those already.
  /// Without it AGFAS capped at AVX2 would race PyTorch at AVX-512.
  static func environment(_ parent: [String: String]) -> [String: String] {
    guard let isa = parent["ONEDNN_MAX_CPU_ISA"]?.uppercased(), let caps = caps(oneDNNISA: isa) else { return parent }
    var env = parent
    env["ATEN_CPU_CAPABILITY"] = parent["ATEN_CPU_CAPABILITY"] ?? caps.aten
    env["MKL_ENABLE_INSTRUCTIONS"] = parent["MKL_ENABLE_INSTRUCTIONS"] ?? caps.mkl
    return env
  }

  /// ATen's and MKL's names for the level a oneDNN ISA cap allows; nil for `ALL` (no cap)
  /// or names without a counterpart.
  static func caps(oneDNNISA isa: String) -> (aten: String, mkl: String)? {
    if isa.hasPrefix("AVX512") || isa.hasPrefix("AVX10") { return ("avx512", "AVX512") }
    if isa.hasPrefix("AVX2") { return ("avx2", "AVX2") }
    if isa == "AVX" { return ("default", "AVX") }
    if isa.hasPrefix("SSE4") { return ("default", "SSE4_2") }
    return nil
  }
}
