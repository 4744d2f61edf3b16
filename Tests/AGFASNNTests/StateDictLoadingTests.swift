import AGFASEngine
import AGFASNN
import XCTest

/// Loading a checkpoint onto a parameter tree: exact key lookup, every problem named.
final class StateDictLoadingTests: XCTestCase {
  func makeModel() -> ParameterStore {
    let store = ParameterStore()
    let block = store.root().child("blocks").child(0)
    _ = block.child("conv").parameter("weight", .zeros([4, 3, 3, 3]))
    _ = block.child("conv").parameter("bias", .zeros([4]))
    _ = block.child("bn").buffer("running_mean", .zeros([4]))
    return store
  }

  func testLoadsValuesByStateDictKey() throws {
    let store = makeModel()
    try store.load(
      [
        "blocks.0.conv.weight": .full(0.5, [4, 3, 3, 3]),
        "blocks.0.conv.bias": .full(2, [4]),
        "blocks.0.bn.running_mean": .full(-1, [4]),
        "fc.weight": .zeros([2]),
      ], ignoring: ["fc."])
    XCTAssertEqual(store["blocks.0.conv.bias"]?.value.toArray(), [2, 2, 2, 2])
    XCTAssertEqual(store["blocks.0.bn.running_mean"]?.value.toArray(), [-1, -1, -1, -1])
    XCTAssertEqual(store.trainable.map(\.path), ["blocks.0.conv.weight", "blocks.0.conv.bias"])
  }

  func testReportsEveryMissingUnexpectedAndMisshapedKeyAndChangesNothing() throws {
    let store = makeModel()
    XCTAssertThrowsError(
      try store.load([
        "blocks.0.conv.weight": .ones([4, 3, 1, 1]),
        "blocks.0.bn.running_mean": .ones([4]),
        "blocks.0.conv.bais": .ones([4]),
        "head.weight": .ones([1]),
      ])
    ) { error in
      guard let m = error as? StateDictMismatch else { return XCTFail("\(error)") }
      XCTAssertEqual(m.missing, ["blocks.0.conv.bias"])
      XCTAssertEqual(m.unexpected, ["blocks.0.conv.bais", "head.weight"])
      XCTAssertEqual(m.misshaped, [.init(key: "blocks.0.conv.weight", expected: [4, 3, 3, 3], found: [4, 3, 1, 1])])
      XCTAssertTrue(
        "\(m)".contains("mis-shaped keys: blocks.0.conv.weight (model [4, 3, 3, 3], checkpoint [4, 3, 1, 1])"), "\(m)")
    }
    XCTAssertEqual(store["blocks.0.bn.running_mean"]?.value.toArray(), [0, 0, 0, 0], "a failed load changes nothing")
  }
}
