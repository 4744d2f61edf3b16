import AGFASEngine
import Foundation
import XCTest

@testable import AGFASCheckpoint

/// Finding 1 of issue 12: shapes whose size or strides overflow `Int` are refused with an
/// error naming the file and the tensor, never an arithmetic-overflow trap.
final class HostileShapeTests: XCTestCase {
  var scratch: ScratchDir!

  override func setUpWithError() throws { scratch = try ScratchDir() }
  override func tearDown() { scratch = nil }

  func testSafetensorsShapeWhoseStridesOverflowIsRefusedNotTrapped() throws {
    // Zero elements, so its byte span is empty and "fits"; its first stride would be 2^80.
    let header = #"{"huge":{"dtype":"F32","shape":[0,1099511627776,1099511627776],"data_offsets":[0,0]}}"#
    let path = try scratch.write(HostileFiles.safetensors(header), "huge.safetensors")
    for load in [
      { _ = try Checkpoint.load(path: path) }, { _ = try StateDict.listing(path: path) },
      { _ = try SafeTensorsFile(path: path) },
    ] as [() throws -> Void] {
      assertThrows(path, "tensor 'huge'", "is too large") { try load() }
    }
    let counted = #"{"big":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}"#
    let path2 = try scratch.write(HostileFiles.safetensors(counted), "big.safetensors")
    assertThrows(path2, "tensor 'big'", "is too large") { _ = try Checkpoint.load(path: path2) }
  }

  func testTorchZipViewWhoseStridesOverflowIsRefused() throws {
    func archive(stride: [Int]) throws -> String {
      var p = PickleBuilder()
      p.op(0x7D)  // EMPTY_DICT
      p.string("huge")
      p.tensor(key: "0", count: 4, size: [0, 1 << 40, 1 << 40], stride: stride)
      p.op(0x73)  // SETITEM
      p.stop()
      let zip = ZipBuilder.archive([("a/data.pkl", p.bytes), ("a/data/0", [UInt8](repeating: 0, count: 16))])
      return try scratch.write(zip, "huge\(UUID().uuidString).pt")
    }
    // A view reaching no element passes the storage checks; its row-major strides overflow.
    let path = try archive(stride: [1, 1, 1])
    assertThrows(path, "tensor 'huge'", "is too large") { _ = try Checkpoint.load(path: path) }
    assertThrows(path, "tensor 'huge'") { _ = try StateDict.listing(path: path) }
    // Strides whose reach overflows are refused while unpickling, naming the storage.
    let path2 = try archive(stride: [1 << 40, 1 << 40, 1])
    assertThrows(path2, "storage '0' overflows") { _ = try Checkpoint.load(path: path2) }
  }

  func testShapeArithmeticNeverTraps() {
    XCTAssertEqual(Shape.strides([0, 1 << 40, 1 << 40]).count, 3, "saturates instead of trapping")
    XCTAssertNil(Shape.checkedStrides([0, 1 << 40, 1 << 40]))
    XCTAssertNil(Shape.checkedCount([1 << 40, 1 << 40]))
    XCTAssertNil(Shape.checkedCount([-1, 2]))
    XCTAssertNil(Shape.checkedCount([1 << 40, 1 << 40, 0]), "Shape.count would trap on the way to 0")
    XCTAssertEqual(Shape.checkedCount([0, 1 << 40, 1 << 40]), 0)
    XCTAssertEqual(Shape.checkedStrides([2, 3, 4]), [12, 4, 1])
    XCTAssertEqual(Shape.strides([2, 3, 4]), [12, 4, 1])
    XCTAssertEqual(Shape.checkedStrides([]), [])
  }
}
