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
}

extension Tensor {
  /// `(x - 127.5) * 0.0078125`: MTCNN's input scaling of 0...255 pixels to about [-1, 1].
  func mtcnnNormalized() throws -> Tensor {
    try (self - 127.5) * 0.0078125
  }
}
