import AGFASTraining
import XCTest

final class DomainSplitTests: XCTestCase {
  func testProtocolNotationAndLeaveOneOutSplits() throws {
    let split = try DomainSplit(protocol: "O, C,I-M")
    XCTAssertEqual(split.sources, ["O", "C", "I"])
    XCTAssertEqual(split.target, "M")
    XCTAssertEqual(split.description, "O,C,I-M")
    XCTAssertEqual(split.folderName, "OCI-M")
    XCTAssertEqual(try DomainSplit(sources: ["CASIA", "MSU"], target: "OULU").folderName, "CASIA_MSU-OULU")
    XCTAssertEqual(
      try DomainSplit.leaveOneOut(["O", "C", "I", "M"]).map(\.description),
      ["O,C,I-M", "O,C,M-I", "O,I,M-C", "C,I,M-O"])
    for bad in ["OCIM", "O,C,M-M", "O,O-M", "O,,C-M", "O,C-"] {
      XCTAssertThrowsError(try DomainSplit(protocol: bad), bad)
    }
    XCTAssertThrowsError(try DomainSplit.leaveOneOut(["O"]))
    XCTAssertThrowsError(try DomainSplit.leaveOneOut(["O", "C", "O"]))
  }
}
