import AGFASEngine
import AGFASNN
import AGFASTestSupport
import XCTest

/// Loading a pretrained part (a backbone file) into one subtree of a larger model.
final class PartialStateDictLoadingTests: XCTestCase {
  func makeModel() -> ParameterStore {
    let store = ParameterStore()
    let root = store.root()
    _ = root.child("backbone").child("conv").parameter("weight", .zeros([2, 2]))
    _ = root.child("backbone").child("bn").buffer("num_batches_tracked", .zeros([]))
    _ = root.child("backbone").child("extra").parameter("weight", .full(7, [3]))
    _ = root.child("head").parameter("weight", .full(5, [2]))
    return store
  }

  func testLoadsUnderThePrefixKeepsOptionalAndOtherPartsAndDropsIgnoredKeys() throws {
    let store = makeModel()
    try store.load(
      ["conv.weight": .ones([2, 2]), "fc.weight": .ones([9]), "extra.weight": .ones([3])], into: "backbone.",
      ignoring: ["fc.", "extra."], optional: { $0.hasSuffix("num_batches_tracked") || $0.contains(".extra.") })
    XCTAssertEqual(store["backbone.conv.weight"]?.value.toArray(), [1, 1, 1, 1])
    XCTAssertEqual(store["backbone.extra.weight"]?.value.toArray(), [7, 7, 7], "ignored keys are not read")
    XCTAssertEqual(store["backbone.bn.num_batches_tracked"]?.value.toArray(), [0])
    XCTAssertEqual(store["head.weight"]?.value.toArray(), [5, 5], "outside the prefix")
  }

  func testNamesEveryProblemAndChangesNothing() throws {
    let store = makeModel()
    XCTAssertThrowsError(
      try store.load(["conv.weight": .ones([4]), "head.weight": .ones([2])], into: "backbone.")
    ) { error in
      guard let m = error as? StateDictMismatch else { return XCTFail("\(error)") }
      XCTAssertEqual(m.missing, ["backbone.bn.num_batches_tracked", "backbone.extra.weight"])
      XCTAssertEqual(m.unexpected, ["backbone.head.weight"])
      XCTAssertEqual(m.misshaped, [.init(key: "backbone.conv.weight", expected: [2, 2], found: [4])])
    }
    XCTAssertEqual(store["backbone.conv.weight"]?.value.toArray(), [0, 0, 0, 0])
  }
}
