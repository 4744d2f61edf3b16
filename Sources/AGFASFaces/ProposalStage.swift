import AGFASEngine
import AGFASImage

extension MTCNN {
  /// Stage 1: PNet over the image pyramid. Each scale's windows with probability >= the
  /// first threshold become boxes, NMS (IoU 0.5) thins each scale, NMS (IoU 0.7) thins the
  /// union, and the survivors are calibrated by their offsets and squared.
  func proposals(_ image: IntegralImage) throws -> [CandidateBox] {
    var all: [CandidateBox] = []
    for scale in options.pyramidScales(shortSide: Swift.min(image.width, image.height)) {
      // Python's int(): truncation of the Double product.
      let height = Int(Double(image.height) * scale + 1)
      let width = Int(Double(image.width) * scale + 1)
      let input = image.resampledNormalized(x: 0..<image.width, y: 0..<image.height, height: height, width: width)
      let (regression, probabilities) = try pnet(input)
      let boxes = try windows(regression, probabilities, scale: Float(scale))
      all += NonMaximumSuppression.union(boxes, threshold: 0.5).map { boxes[$0] }
    }
    return NonMaximumSuppression.union(all, threshold: 0.7).map { all[$0].regressedByWindow().squared() }
  }

  /// The PNet cells whose face probability is >= the first threshold, in row-major order, as
  /// boxes in image pixels: cell (i, j) covers the 12x12 window at (2j, 2i) of the scaled
  /// image, mapped back with floor((2j + 1) / scale) and floor((2j + 12) / scale) (fp32).
  func windows(_ regression: Tensor, _ probabilities: Tensor, scale: Float) throws -> [CandidateBox] {
    let reg = try regression.fp32RowMajor()
    let prob = try probabilities.fp32RowMajor()
    let (rows, cols) = (prob.shape[2], prob.shape[3])
    let plane = rows * cols
    let threshold = options.thresholds[0]
    return withExtendedLifetime((reg, prob)) {
      let (r, p) = (reg.floats(), prob.floats())
      var boxes: [CandidateBox] = []
      for i in 0..<rows {
        for j in 0..<cols {
          let cell = i * cols + j
          let score = p[plane + cell]
          guard score >= threshold else { continue }
          let (x, y) = (Float(j), Float(i))
          boxes.append(
            CandidateBox(
              x1: ((2 * x + 1) / scale).rounded(.down), y1: ((2 * y + 1) / scale).rounded(.down),
              x2: ((2 * x + 12) / scale).rounded(.down), y2: ((2 * y + 12) / scale).rounded(.down),
              score: score, offsets: (r[cell], r[plane + cell], r[2 * plane + cell], r[3 * plane + cell])))
        }
      }
      return boxes
    }
  }
}
