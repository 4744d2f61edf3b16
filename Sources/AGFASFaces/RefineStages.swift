import AGFASEngine

extension MTCNN {
  /// Crops per network call: bounds memory on images with thousands of candidates.
  static let cropBatch = 256

  /// The network inputs of `boxes`: each box's clipped region resized to `size` x `size`
  /// (torch `area` mode) and normalised, in channels-last batches [N,3,size,size] of at most
  /// `cropBatch`, with the boxes that have a non-empty region (facenet-pytorch would silently
  /// misalign its lists on an empty one; here such a box is dropped).
  func crops(_ boxes: [CandidateBox], of image: IntegralImage, size: Int) -> (inputs: [Tensor], boxes: [CandidateBox]) {
    var kept: [(box: CandidateBox, x: Range<Int>, y: Range<Int>)] = []
    for box in boxes {
      guard let region = box.cropRegion(width: image.width, height: image.height) else { continue }
      kept.append((box, region.x, region.y))
    }
    let batches = stride(from: 0, to: kept.count, by: Self.cropBatch).map { start in
      let part = kept[start..<Swift.min(start + Self.cropBatch, kept.count)]
      let batch = Tensor.empty([part.count, 3, size, size], layout: .channelsLast)
      withExtendedLifetime(batch) {
        let base = batch.floats().baseAddress!
        for (k, crop) in part.enumerated() {
          image.resampleNormalized(x: crop.x, y: crop.y, height: size, width: size, into: base + k * 3 * size * size)
        }
      }
      return batch
    }
    return (batches, kept.map(\.box))
  }

  /// Stage 2: RNet on 24x24 crops; boxes with probability > the second threshold take it as
  /// their score and RNet's offsets, then NMS (IoU 0.7), calibration and squaring.
  func refined(_ boxes: [CandidateBox], of image: IntegralImage) throws -> [CandidateBox] {
    let (inputs, kept) = crops(boxes, of: image, size: 24)
    var passed: [CandidateBox] = []
    var index = 0
    for input in inputs {
      let (regression, probabilities) = try rnet(input)
      let (reg, prob) = (regression.toArray(), probabilities.toArray())
      for n in 0..<input.shape[0] {
        defer { index += 1 }
        let score = prob[2 * n + 1]
        guard score > options.thresholds[1] else { continue }
        var box = kept[index]
        box.score = score
        box.offsets = (reg[4 * n], reg[4 * n + 1], reg[4 * n + 2], reg[4 * n + 3])
        passed.append(box)
      }
    }
    return NonMaximumSuppression.union(passed, threshold: 0.7).map { passed[$0].regressed().squared() }
  }

  /// Stage 3: ONet on 48x48 crops; boxes with probability > the third threshold get their
  /// landmarks (read relative to the uncalibrated box), are calibrated, and go through a
  /// last NMS on the overlap over the smaller box (0.7).
  func outputs(_ boxes: [CandidateBox], of image: IntegralImage) throws -> [DetectedFace] {
    let (inputs, kept) = crops(boxes, of: image, size: 48)
    var passed: [CandidateBox] = []
    var landmarks: [[FacePoint]] = []
    var index = 0
    for input in inputs {
      let (regression, points, probabilities) = try onet(input)
      let (reg, pts, prob) = (regression.toArray(), points.toArray(), probabilities.toArray())
      for n in 0..<input.shape[0] {
        defer { index += 1 }
        let score = prob[2 * n + 1]
        guard score > options.thresholds[2] else { continue }
        var box = kept[index]
        box.score = score
        box.offsets = (reg[4 * n], reg[4 * n + 1], reg[4 * n + 2], reg[4 * n + 3])
        let (w, h) = (box.x2 - box.x1 + 1, box.y2 - box.y1 + 1)
        landmarks.append(
          (0..<5).map { k in
            FacePoint(x: w * pts[10 * n + k] + box.x1 - 1, y: h * pts[10 * n + 5 + k] + box.y1 - 1)
          })
        passed.append(box.regressed())
      }
    }
    return NonMaximumSuppression.minimum(passed, threshold: 0.7).map { i in
      let b = passed[i]
      return DetectedFace(box: FaceBox(x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2), score: b.score, landmarks: landmarks[i])
    }
  }
}
