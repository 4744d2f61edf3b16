import AGFASEngine
import AGFASTestSupport
import XCTest

/// imageTokens / tokensImage are pure re-interpretations, so they must equal PyTorch's
/// `permute(0, 2, 3, 1).reshape(N, H*W, C)` (and back) exactly, without copying channels-last
/// storage.
final class ImageTokensTests: XCTestCase {
  let image = try! Tensor((0..<(2 * 3 * 4 * 5)).map { Float($0) }, shape: [2, 3, 4, 5])

  func testTokensEqualPermutedImageInBothLayoutsAndDtypes() throws {
    let expected = try image.permuted([0, 2, 3, 1]).reshaped([2, 20, 3])
    for dtype in [DType.float32, .bfloat16] {
      for x in [image, try image.channelsLast()] {
        let tokens = try x.converted(to: dtype).imageTokens()
        XCTAssertEqual(tokens.dtype, dtype)
        assertClose(tokens, expected, rtol: 0, atol: 0, "\(x.layout) \(dtype)")
      }
    }
  }

  func testChannelsLastRoundTripSharesStorage() throws {
    let x = try image.channelsLast()
    let tokens = try x.imageTokens()
    XCTAssertTrue(tokens.storage === x.storage)
    let back = try tokens.tokensImage(height: 4, width: 5)
    XCTAssertEqual(back.layout, .channelsLast)
    XCTAssertTrue(back.storage === x.storage)
    assertClose(back, image, rtol: 0, atol: 0, "round trip")
  }

  func testGradientsMapBackThroughTheViews() throws {
    let x = try image.channelsLast().requiringGrad()
    let weights = try Tensor((0..<120).map { Float($0 % 7) }, shape: [2, 20, 3])
    let y = try x.imageTokens().tokensImage(height: 4, width: 5).imageTokens()
    try (y * weights).sum().backward()
    assertClose(try XCTUnwrap(x.grad), try weights.reshaped([2, 4, 5, 3]).permuted([0, 3, 1, 2]), rtol: 0, atol: 0)
  }

  func testBadShapesThrowNamingShapes() throws {
    XCTAssertThrowsError(try Tensor.zeros([2, 3, 4]).imageTokens()) { error in
      XCTAssertTrue("\(error)".contains("imageTokens: expected an image [N, C, H, W]"), "\(error)")
    }
    XCTAssertThrowsError(try Tensor.zeros([2, 20, 3]).tokensImage(height: 4, width: 4)) { error in
      XCTAssertTrue("\(error)".contains("tokensImage: shapes [2, 20, 3] and [4, 4]"), "\(error)")
    }
  }
}
