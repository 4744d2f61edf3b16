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
      try DomainSplit.leaveOneOut(["M", "C", "I", "O"]).map(\.description),
      ["C,I,O-M", "M,I,O-C", "M,C,O-I", "M,C,I-O"])
    for bad in ["OCIM", "O,C,M-M", "O,O-M", "O,,C-M", "O,C-"] {
      XCTAssertThrowsError(try DomainSplit(protocol: bad), bad)
    }
    XCTAssertThrowsError(try DomainSplit.leaveOneOut(["O"]))
    XCTAssertThrowsError(try DomainSplit.leaveOneOut(["O", "C", "O"]))
  }
}
