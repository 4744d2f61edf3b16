import AGFASEngine
import AGFASImage
import XCTest

/// The tensor bridge equals docs/method.md §1 (x/255, then (x-0.5)/0.5) and §2.5
/// (clamp(x/2+0.5, 0, 1), then round(255 x), numpy's half-to-even rounding).
final class ImageTensorTests: XCTestCase {
  /// Known pixels map to the formula's fp32 values, RGB planes in NCHW order; grey is
  /// replicated into the three planes.
  func testPixelsToTensorFollowSpecFormula() throws {
    // 2x1 RGB: (0, 255, 128), (1, 127, 254).
    let image = try Image(width: 2, height: 1, channels: 3, pixels: [0, 255, 128, 1, 127, 254])
    let t = image.tensor()
    XCTAssertEqual(t.shape, [1, 3, 1, 2])
    XCTAssertEqual(t.dtype, .float32)
    let spec: (Float) -> Float = { x in (x / 255 - 0.5) / 0.5 }
    XCTAssertEqual(t.toArray(), [0, 1, 255, 127, 128, 254].map(spec))
    XCTAssertEqual(t.toArray()[0], -1)
    XCTAssertEqual(t.toArray()[2], 1)
    XCTAssertEqual(t.toArray()[4], 0.003921628, accuracy: 1e-8)  // 128 -> 1/255 above zero
    XCTAssertEqual(image.tensor(normalized: .zeroToOne).toArray(), [0, 1, 255, 127, 128, 254].map { $0 / 255 })

    let grey = try Image(width: 2, height: 1, channels: 1, pixels: [10, 200])
    XCTAssertEqual(grey.tensor().toArray(), Array(repeating: [10, 200].map(spec), count: 3).flatMap { $0 })
    let rgba = try Image(width: 1, height: 1, channels: 4, pixels: [10, 20, 30, 0])
    XCTAssertEqual(rgba.tensor().toArray(), [10, 20, 30].map(spec), "alpha is dropped")
  }

  /// Tensor values clamp to [-1, 1] and round half to even: 0 -> 127.5 -> 128; just below a
  /// half rounds down; out-of-range values saturate; NaN gives 0.
  func testTensorToPixelsClampsAndRounds() throws {
    let values: [Float] = [-3, -1, 0, 1, 7, 0.5, -0.5, .nan, Float(2 * 100.4 / 255 - 1)]
    let t = try Tensor(values + values + values, shape: [3, 1, values.count])
    let image = try Image(tensor: t)
    XCTAssertEqual([image.width, image.height, image.channels], [values.count, 1, 3])
    let expected: [UInt8] = [0, 0, 128, 255, 255, 191, 64, 0, 100]
    XCTAssertEqual((0..<values.count).map { image[x: $0, y: 0, channel: 1] }, expected)
    for (x, v) in values.enumerated() where !v.isNaN {
      let spec = (min(max(v / 2 + 0.5, 0), 1) * 255).rounded(.toNearestOrEven)
      XCTAssertEqual(Float(image[x: x, y: 0, channel: 0]), spec, "value \(v)")
    }
    let unit = try Image(tensor: try Tensor([0.5, 1.2, -0.1], shape: [1, 3, 1, 1]), normalized: .zeroToOne)
    XCTAssertEqual(unit.pixels, [128, 255, 0])
  }

  /// Every 8-bit value survives image -> tensor -> image, in any dtype-free round trip, and
  /// bf16 or channels-last tensors are read correctly.
  func testRoundTripKeepsEveryValueAndAcceptsAnyLayout() throws {
    let pixels = (0..<(16 * 16 * 3)).map { UInt8(($0 * 7) % 256) }
    let image = try Image(width: 16, height: 16, channels: 3, pixels: pixels)
    XCTAssertEqual(try Image(tensor: image.tensor()), image)
    XCTAssertEqual(try Image(tensor: image.tensor(normalized: .zeroToOne), normalized: .zeroToOne), image)
    let channelsLast = try image.tensor().relaid(.channelsLast)
    XCTAssertEqual(try Image(tensor: channelsLast), image)
    // bf16 keeps 8 significant bits: 8-bit values in [-1, 1] come back within one step.
    let viaBF16 = try Image(tensor: image.tensor().converted(to: .bfloat16))
    XCTAssertLessThanOrEqual(zip(viaBF16.pixels, pixels).map { abs(Int($0) - Int($1)) }.max()!, 1)
  }

  func testBatchHelpersStackAndSplitImages() throws {
    let a = try Image(width: 3, height: 2, channels: 3, pixels: Array(0..<18))
    let b = try Image(width: 3, height: 2, channels: 1, pixels: Array(100..<106))
    let batch = try Image.tensor(batch: [a, b])
    XCTAssertEqual(batch.shape, [2, 3, 2, 3])
    XCTAssertEqual(batch.toArray(), a.tensor().toArray() + b.tensor().toArray())
    XCTAssertEqual(try Image.images(fromBatch: batch), [a, b.rgb()])
    let empty = try Image(width: 0, height: 0, channels: 3)
    XCTAssertEqual(empty.tensor().shape, [1, 3, 0, 0])
    XCTAssertEqual(try Image(tensor: empty.tensor()), empty)
  }

  func testBadShapesAndBatchesAreRefused() throws {
    XCTAssertThrowsError(try Image(tensor: Tensor.zeros([4, 2, 2]))) { error in
      XCTAssertTrue("\(error)".contains("4 channels") && "\(error)".contains("[4, 2, 2]"), "\(error)")
    }
    XCTAssertThrowsError(try Image(tensor: Tensor.zeros([2, 3, 2, 2]))) { error in
      XCTAssertTrue("\(error)".contains("[3,H,W] or [1,3,H,W]") && "\(error)".contains("[2, 3, 2, 2]"), "\(error)")
    }
    XCTAssertThrowsError(try Image.images(fromBatch: Tensor.zeros([3, 2, 2]))) { error in
      XCTAssertTrue("\(error)".contains("[B,3,H,W]"), "\(error)")
    }
    let small = try Image(width: 2, height: 2, channels: 3)
    let large = try Image(width: 3, height: 2, channels: 3)
    assertImageError(.invalidImage, "differ in size", "3x2 (image 1)") {
      _ = try Image.tensor(batch: [small, large])
    }
    assertImageError(.invalidImage, "empty batch") {
      _ = try Image.tensor(batch: [])
    }
  }
}
