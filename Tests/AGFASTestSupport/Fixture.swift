import AGFASCheckpoint
import AGFASEngine
import Foundation
import XCTest

/// One fixture family (`<family>.safetensors`) written by a script under scripts/.
public struct Fixture {
  public let file: SafeTensorsFile

  /// Finds `Fixtures/<family>.safetensors` beside the calling test file (or a folder above it).
  public init(_ family: String, callerFile: StaticString = #filePath) throws {
    var dir = URL(fileURLWithPath: "\(callerFile)").deletingLastPathComponent()
    for _ in 0..<3 where !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Fixtures").path) {
      dir = dir.deletingLastPathComponent()
    }
    let path = dir.appendingPathComponent("Fixtures/\(family).safetensors").path
    file = try SafeTensorsFile(path: path)
  }

  /// Case names, sorted.
  public var cases: [String] { file.metadata.keys.sorted() }

  public func `case`(_ name: String) throws -> FixtureCase {
    guard let json = file.metadata[name] else {
      throw CheckpointError.missingTensor(path: file.path, name: name)
    }
    let params = (try JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
    return FixtureCase(name: name, file: file, params: params)
  }
}

/// The tensors and parameters of one fixture case.
public struct FixtureCase {
  public let name: String
  public let file: SafeTensorsFile
  public let params: [String: Any]

  public func tensor(_ role: String) throws -> Tensor { try file.tensor("\(name)/\(role)") }
  public func input(_ n: String) throws -> Tensor { try tensor("in.\(n)") }
  public func grad(_ n: String) throws -> Tensor { try tensor("grad.\(n)") }
  public var output: Tensor { get throws { try tensor("out") } }
  public var gradOutput: Tensor { get throws { try tensor("gout") } }
  public func has(_ role: String) -> Bool { file.entries["\(name)/\(role)"] != nil }

  public func int(_ key: String) -> Int { (params[key] as? NSNumber)?.intValue ?? 0 }
  public func ints(_ key: String) -> [Int] { (params[key] as? [NSNumber])?.map(\.intValue) ?? [] }
  public func float(_ key: String) -> Float { (params[key] as? NSNumber)?.floatValue ?? 0 }
  public func bool(_ key: String) -> Bool { (params[key] as? NSNumber)?.boolValue ?? false }
  public func string(_ key: String) -> String? { params[key] as? String }
}

/// Asserts `actual` equals `expected` elementwise: |a - e| <= atol + rtol * |e|.
public func assertClose(
  _ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6, _ what: String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.shape, expected.shape, "\(what): shape", file: file, line: line)
  guard actual.shape == expected.shape else { return }
  let a = actual.toArray()
  let e = expected.toArray()
  var worst = 0
  var worstExcess: Float = 0
  var bad = 0
  for i in 0..<a.count {
    let excess = abs(a[i] - e[i]) - (atol + rtol * abs(e[i]))
    if !(excess <= 0) {
      bad += 1
      if !(excess <= worstExcess) || a[i].isNaN {
        worst = i
        worstExcess = excess.isNaN ? .infinity : excess
      }
    }
  }
  XCTAssertEqual(
    bad, 0,
    "\(what): \(bad)/\(a.count) elements differ; worst at \(worst): \(bad > 0 ? a[worst] : 0) vs \(bad > 0 ? e[worst] : 0) (rtol \(rtol), atol \(atol))",
    file: file, line: line)
}

/// Runs `body` on each listed case, with the case name in failure messages.
public func forEachCase(_ fx: Fixture, prefix: String, _ body: (FixtureCase) throws -> Void) throws {
  let names = fx.cases.filter { $0.hasPrefix(prefix) }
  XCTAssertFalse(names.isEmpty, "no fixture cases start with \(prefix)")
  for n in names { try body(fx.case(n)) }
}

/// The message of the error `body` throws, or "no error".
public func errorMessage<T>(_ body: () throws -> T) -> String {
  do {
    _ = try body()
    return "no error"
  } catch { return "\(error)" }
}
