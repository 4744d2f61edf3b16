import AGFASDFG
import XCTest

final class DFGTests: XCTestCase {
  func testNamespaceExists() { XCTAssertNotNil(DFG.self) }
}
