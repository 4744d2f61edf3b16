import AGFASCheckpoint
import AGFASEngine
import Foundation
import XCTest

/// PyTorch's legacy (pre-zip) checkpoints, including the real MTCNN weights.
final class TorchLegacyCheckpointTests: XCTestCase {
  func testLegacyStateDictEqualsTorch() throws {
    try TorchZipCheckpointTests.assertMatchesTorch("state_dict_legacy.pt")
  }

  /// facenet-pytorch's MTCNN weights (legacy format, non-contiguous conv and dense weights):
  /// listing as torch lists it, and sums/weighted sums of the values equal torch's. The files
  /// come from PyPI via scripts/fetch_test_material.sh; CI must have them.
  func testMTCNNWeightsFromFacenetPytorch() throws {
    let dir = Fixtures.repoRoot.appendingPathComponent(".cache/test-material/facenet_pytorch/data")
    guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("onet.pt").path) else {
      let message = "MTCNN weights absent: run scripts/fetch_test_material.sh"
      if ProcessInfo.processInfo.environment["CI"] != nil { return XCTFail(message) }
      throw XCTSkip(message)
    }
    for net in ["pnet", "rnet", "onet"] {
      let path = dir.appendingPathComponent("\(net).pt").path
      XCTAssertEqual(try Checkpoint.kind(path: path), .torchLegacy)
      let value = try Checkpoint.load(path: path)
      let rows = try Fixtures.table(json: "mtcnn.json", net)
      XCTAssertEqual(value.listing, rows.map { ListingRow($0) }, net)
      for ((name, t), row) in zip(value.namedTensors(), rows) {
        let contiguous = row[6] as? Bool ?? true
        XCTAssertEqual(t.strides == Shape.strides(t.shape), contiguous, "\(net) \(name) layout")
        let v = try t.load().toArray().map(Double.init)
        let sum = v.reduce(0, +)
        let squares = v.reduce(0) { $0 + $1 * $1 }
        let weighted = v.enumerated().reduce(0) { $0 + $1.element * Double($1.offset % 7 + 1) }
        // Sums of fp32 values in Double differ from torch's only by summation order.
        let tol = 1e-9 * max(1, squares)
        XCTAssertEqual(sum, (row[3] as? NSNumber)?.doubleValue ?? .nan, accuracy: tol, "\(net) \(name) sum")
        XCTAssertEqual(squares, (row[4] as? NSNumber)?.doubleValue ?? .nan, accuracy: tol, "\(net) \(name) sumsq")
        XCTAssertEqual(weighted, (row[5] as? NSNumber)?.doubleValue ?? .nan, accuracy: tol, "\(net) \(name) weighted")
      }
    }
  }
}
