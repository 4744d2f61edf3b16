import XCTest

@testable import AGFASFaces

/// The cascade's box arithmetic and both NMS flavours on hand-made boxes.
final class BoxMathTests: XCTestCase {
  func box(_ x1: Float, _ y1: Float, _ x2: Float, _ y2: Float, _ score: Float) -> CandidateBox {
    CandidateBox(x1: x1, y1: y1, x2: x2, y2: y2, score: score)
  }

  /// torchvision: IoU without +1, drop when IoU > threshold (equal is kept), best first.
  func testUnionNMSKeepsBestFirstAndDropsOnlyAboveThreshold() {
    let boxes = [
      box(0, 0, 10, 10, 0.8),
      box(0, 0, 10, 10, 0.9),  // identical, better: wins
      box(0, 0, 10, 5, 0.7),  // IoU 0.5 with the winner: kept at threshold 0.5
      box(20, 20, 30, 30, 0.95),
    ]
    XCTAssertEqual(NonMaximumSuppression.union(boxes, threshold: 0.5), [3, 1, 2])
    XCTAssertEqual(NonMaximumSuppression.union(boxes, threshold: 0.49), [3, 1])
    XCTAssertEqual(NonMaximumSuppression.union([], threshold: 0.5), [])
  }

  /// numpy "Min": intersection (+1 areas) over the smaller box; a box inside another goes.
  func testMinNMSDropsBoxesInsideABetterOne() {
    let boxes = [box(0, 0, 99, 99, 0.99), box(10, 10, 29, 29, 0.5), box(90, 90, 119, 119, 0.6)]
    // Box 2 overlaps box 0 on 10x10 of its 30x30: 0.11 <= 0.7, kept; box 1 is inside: 1.0.
    XCTAssertEqual(NonMaximumSuppression.minimum(boxes, threshold: 0.7), [0, 2])
    // Equal scores: the later box is taken first, as numpy's stable argsort + pop-last does.
    XCTAssertEqual(NonMaximumSuppression.minimum([box(0, 0, 9, 9, 0.5), box(1, 1, 9, 9, 0.5)], threshold: 0.7), [1])
  }

  func testRegressionSquaringAndCropsFollowFacenet() throws {
    var b = box(10, 20, 30, 60, 0.9)
    b.offsets = (0.1, -0.1, 0.2, 0)
    // PNet: offsets times x2-x1 (20) and y2-y1 (40).
    let p = b.regressedByWindow()
    XCTAssertEqual([p.x1, p.y1, p.x2, p.y2], [12, 16, 34, 60])
    // Later stages: times x2-x1+1 (21) and y2-y1+1 (41).
    let r = b.regressed()
    XCTAssertEqual([r.x1, r.y1, r.x2, r.y2], [12.1, 15.9, 34.2, 60])
    // Square on the longer side, same centre.
    let s = b.squared()
    XCTAssertEqual([s.x1, s.y1, s.x2, s.y2], [0, 20, 40, 60])
    // Truncated, clipped to the image (1-based inclusive), returned 0-based half-open.
    let crop = try XCTUnwrap(box(-5.7, 3.9, 50.2, 70.99, 1).cropRegion(width: 40, height: 60))
    XCTAssertEqual(crop.x, 0..<40)
    XCTAssertEqual(crop.y, 2..<60)
    XCTAssertNil(box(45, 3, 60, 9, 1).cropRegion(width: 40, height: 60))
  }
}
