import AGFASFuzzTargets
import Foundation
import XCTest

/// Every fuzz target runs on the test fixtures of its format (its seed corpus) and on every
/// input that once crashed it (Regressions/<target>/), without trapping: a crash found by
/// scripts/fuzz.sh stays fixed.
final class FuzzTargetTests: XCTestCase {
  static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

  func files(under root: URL, where keep: (String) -> Bool) -> [URL] {
    guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
      return []
    }
    return walker.compactMap { $0 as? URL }.filter { keep($0.path) }.sorted { $0.path < $1.path }
  }

  func testEveryTargetRunsItsSeedsAndRegressions() throws {
    XCTAssertEqual(
      FuzzTarget.all.map(\.name),
      ["safetensors", "torch", "pickle", "model-folder-index", "png", "jpeg", "config", "scores", "labels", "json"])
    for target in FuzzTarget.all {
      let seeds = files(under: Self.tests) { path in
        path.contains("/Fixtures/") && target.seeds.contains { path.hasSuffix($0) }
      }.filter { ((try? $0.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0) < 4 << 20 }
      let regressions = files(under: Self.tests.appendingPathComponent("AGFASFuzzTests/Regressions/\(target.name)")) {
        _ in true
      }
      for file in seeds + regressions { target.run(try Data(contentsOf: file)) }
      // Garbage and the empty input are handled too.
      target.run(Data())
      target.run(Data((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37) }))
      if !["pickle", "scores", "labels"].contains(target.name) {
        XCTAssertFalse(seeds.isEmpty, "\(target.name) has no seed fixtures")
      }
    }
  }
}
