/// Greedy non-maximum suppression as MTCNN's two implementations in facenet-pytorch do it.
enum NonMaximumSuppression {
  /// torchvision's `nms`: best score first (a stable sort, ties in input order), areas
  /// `(x2-x1)*(y2-y1)`, drop a box when its IoU with a kept one is > `threshold`. Returns
  /// the kept indices, best first. fp32 like torchvision's CPU kernel; the comparison is
  /// in Double as there.
  static func union(_ boxes: [CandidateBox], threshold: Double) -> [Int] {
    let order = boxes.indices.sorted {
      boxes[$0].score > boxes[$1].score || (boxes[$0].score == boxes[$1].score && $0 < $1)
    }
    let areas = boxes.map { ($0.x2 - $0.x1) * ($0.y2 - $0.y1) }
    var suppressed = [Bool](repeating: false, count: boxes.count)
    var keep: [Int] = []
    for (rank, i) in order.enumerated() where !suppressed[i] {
      keep.append(i)
      for j in order[(rank + 1)...] where !suppressed[j] {
        let inter = intersection(boxes[i], boxes[j], inclusive: false)
        let iou = inter / (areas[i] + areas[j] - inter)
        if Double(iou) > threshold { suppressed[j] = true }
      }
    }
    return keep
  }

  /// facenet-pytorch's numpy NMS with the "Min" overlap (intersection over the smaller
  /// box) and inclusive areas `(x2-x1+1)*(y2-y1+1)`, used after ONet: a box is kept while
  /// its overlap is <= `threshold` (compared in fp32, as numpy does with a Python float).
  /// Candidates are taken from the end of a stable ascending score sort, so of two equal
  /// scores the later box wins, as with numpy's argsort on small inputs. Returns kept
  /// indices, best first.
  static func minimum(_ boxes: [CandidateBox], threshold: Float) -> [Int] {
    var remaining = boxes.indices.sorted {
      boxes[$0].score < boxes[$1].score || (boxes[$0].score == boxes[$1].score && $0 < $1)
    }
    let areas = boxes.map { ($0.x2 - $0.x1 + 1) * ($0.y2 - $0.y1 + 1) }
    var keep: [Int] = []
    while let i = remaining.popLast() {
      keep.append(i)
      remaining.removeAll { j in
        !(intersection(boxes[i], boxes[j], inclusive: true) / Swift.min(areas[i], areas[j]) <= threshold)
      }
    }
    return keep
  }

  /// Overlap area of two boxes; `inclusive` counts both edge pixels (+1), as the numpy code does.
  private static func intersection(_ a: CandidateBox, _ b: CandidateBox, inclusive: Bool) -> Float {
    let extra: Float = inclusive ? 1 : 0
    let w = Swift.max(0, Swift.min(a.x2, b.x2) - Swift.max(a.x1, b.x1) + extra)
    let h = Swift.max(0, Swift.min(a.y2, b.y2) - Swift.max(a.y1, b.y1) + extra)
    return w * h
  }
}
