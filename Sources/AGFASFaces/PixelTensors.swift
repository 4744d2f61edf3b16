import AGFASEngine
import AGFASImage

extension Image {
  /// The samples of the region `x` x `y` of this RGB image as a [1,3,h,w] channels-last fp32
  /// tensor of values 0...255 (the pixels facenet-pytorch feeds its resizing, as floats).
  func pixelTensor(x: Range<Int>, y: Range<Int>) -> Tensor {
    precondition(channels == 3, "pixelTensor needs RGB")
    let t = Tensor.empty([1, 3, y.count, x.count], layout: .channelsLast)
    withExtendedLifetime(t) {
      let out = t.floats()
      pixels.withUnsafeBufferPointer { src in
        var o = 0
        for row in y {
          let start = (row * width + x.lowerBound) * 3
          for i in start..<(start + x.count * 3) {
            out[o] = Float(src[i])
            o += 1
          }
        }
      }
    }
    return t
  }

  /// This image (as RGB) resized to width x height in torch's `area` mode (adaptive average
  /// pooling in fp32), rounded half to even: `F.interpolate(x.float(), size, mode="area").round()`.
  public func areaResized(width: Int, height: Int) throws -> Image {
    let rgb = rgb()
    let t = try rgb.pixelTensor(x: 0..<rgb.width, y: 0..<rgb.height).resizedArea(height: height, width: width)
    return try withExtendedLifetime(t) {
      let values = t.floats()  // channels-last: interleaved RGB, as Image stores it
      return try Image(
        width: width, height: height, channels: 3,
        pixels: values.map { UInt8(Swift.min(Swift.max($0, 0), 255).rounded(.toNearestOrEven)) })
    }
  }
}
