import AGFASEngine

/// The SSDG losses OA-Net trains with (docs/method.md §5), each as the reference computes it.
public enum SSDGLoss {
  /// Mean cross-entropy of `logits` [N, C] against class indices (F.cross_entropy).
  public static func crossEntropy(_ logits: Tensor, labels: [Int]) throws -> Tensor {
    guard logits.rank == 2, logits.shape[0] == labels.count, labels.count > 0 else {
      throw OANetError.input(
        "cross-entropy needs logits [N, C] and N > 0 labels, got \(logits.shape) and \(labels.count)")
    }
    let classes = logits.shape[1]
    if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
      throw OANetError.input("cross-entropy label \(bad) is outside the \(classes) classes")
    }
    var oneHot = [Float](repeating: 0, count: labels.count * classes)
    for (i, l) in labels.enumerated() { oneHot[i * classes + l] = 1 }
    let picked = try logits.logSoftmax(axis: 1) * Tensor(oneHot, shape: logits.shape).converted(to: logits.dtype)
    return try -(picked.sum() / Float(labels.count))
  }

  /// The triplet classes of docs/method.md §5: every live face is class 0, a spoof from source domain d
  /// is class d + 1 (`labels`: 1 live, 0 spoof).
  public static func tripletClasses(labels: [Int], domains: [Int]) -> [Int] {
    zip(labels, domains).map { $0 == 1 ? 0 : $1 + 1 }
  }

  /// SSDG's batch-all triplet loss (`HardTripletLoss(margin, hardest=False, squared=False)`):
  /// over every triplet of distinct samples (a, p, n) with class(a) == class(p) != class(n),
  /// `relu(d(a,p) - d(a,n) + margin)` with Euclidean distances from the Gram matrix; the sum
  /// divided by the count of positive terms (+ 1e-16). Returns the loss and that count.
  public static func batchAllTriplet(_ embeddings: Tensor, classes: [Int], margin: Float = 0.1) throws -> (
    loss: Tensor, positiveTriplets: Int
  ) {
    let n = classes.count
    guard embeddings.rank == 2, embeddings.shape[0] == n, n > 0 else {
      throw OANetError.input("triplet loss needs embeddings [N, D] and N > 0 classes, got \(embeddings.shape) and \(n)")
    }
    let d = try pairwiseDistances(embeddings)
    var valid = [Float](repeating: 0, count: n * n * n)
    for a in 0..<n {
      for p in 0..<n where p != a && classes[p] == classes[a] {
        for q in 0..<n where q != a && q != p && classes[q] != classes[a] { valid[(a * n + p) * n + q] = 1 }
      }
    }
    let terms = try ((d.reshaped([n, n, 1]) - d.reshaped([n, 1, n]) + margin) * Tensor(valid, shape: [n, n, n]))
      .relu()
    let positive = terms.toArray().reduce(0) { $0 + ($1 > 1e-16 ? 1 : 0) }
    return (try terms.sum() / (Float(positive) + 1e-16), positive)
  }

  /// Euclidean distances [N, N] as SSDG's `_pairwise_distance`: `|a|^2 - 2 a.b + |b|^2` from
  /// the Gram matrix, clamped at 0, square-rooted where positive (exact zeros stay zero with
  /// a zero gradient instead of sqrt's infinite one).
  static func pairwiseDistances(_ x: Tensor) throws -> Tensor {
    let n = x.shape[0]
    let gram = try x.matmul(x.transposed(0, 1))
    var eye = [Float](repeating: 0, count: n * n)
    for i in 0..<n { eye[i * n + i] = 1 }
    // The Gram diagonal (as SSDG's `cor_mat.diag()`), picked out exactly: the rest adds zeros.
    let squaredNorms = try (gram * Tensor(eye, shape: [n, n])).sum(axes: [1])
    let squared = try (squaredNorms.reshaped([n, 1]) - gram * 2 + squaredNorms.reshaped([1, n])).relu()
    let isZero = squared.toArray().map { $0 == 0 ? Float(1) : 0 }
    let zeros = try Tensor(isZero, shape: [n, n])
    let others = try Tensor(isZero.map { 1 - $0 }, shape: [n, n])
    return try (squared + zeros * 1e-16).sqrt() * others
  }
}

/// The loss terms of one SSDG iteration.
public struct SSDGLossTerms {
  public let classification: Tensor
  public let triplet: Tensor
  public let adversarial: Tensor
  /// classification + tripletWeight * triplet + adversarialWeight * adversarial.
  public let total: Tensor
  /// Triplets with a positive loss term (the triplet loss's divisor).
  public let positiveTriplets: Int
}

/// SSDG's objective (docs/method.md §5): CE on live/spoof + 1.0 * batch-all triplet + 0.5 * the
/// discriminator's CE on the source domain of the live samples.
public struct SSDGObjective: Sendable {
  public var tripletWeight: Float = 1.0
  public var adversarialWeight: Float = 0.5
  public var margin: Float = 0.1

  public init(tripletWeight: Float = 1.0, adversarialWeight: Float = 0.5, margin: Float = 0.1) {
    self.tripletWeight = tripletWeight
    self.adversarialWeight = adversarialWeight
    self.margin = margin
  }

  /// `labels` (1 live, 0 spoof) and source `domains` (0-based) per sample of `output`; the
  /// discriminator sees the live samples' embeddings in batch order.
  public func callAsFunction(
    _ output: OANetOutput, labels: [Int], domains: [Int], discriminator: DomainDiscriminator, reversal: Float,
    dropout: DropoutMask
  ) throws -> SSDGLossTerms {
    let n = output.logits.shape[0]
    guard labels.count == n, domains.count == n else {
      throw OANetError.input("\(n) samples but \(labels.count) labels and \(domains.count) domains")
    }
    let live = labels.indices.filter { labels[$0] == 1 }
    guard !live.isEmpty else { throw OANetError.input("the adversarial loss needs at least one live sample") }
    // The losses run in fp32 whatever the model computed in (as under torch.autocast): their
    // gradients (softmax minus one-hot, distance differences) cancel, which bf16 would blur.
    let classification = try SSDGLoss.crossEntropy(output.logits.converted(to: .float32), labels: labels)
    let (triplet, positive) = try SSDGLoss.batchAllTriplet(
      output.embeddings.converted(to: .float32), classes: SSDGLoss.tripletClasses(labels: labels, domains: domains),
      margin: margin)
    let domainLogits = try discriminator(output.embeddings.rows(live), reversal: reversal, dropout: dropout)
    let adversarial = try SSDGLoss.crossEntropy(
      domainLogits.converted(to: .float32), labels: live.map { domains[$0] })
    let total = try classification + triplet * tripletWeight + adversarial * adversarialWeight
    return SSDGLossTerms(
      classification: classification, triplet: triplet, adversarial: adversarial, total: total,
      positiveTriplets: positive)
  }
}

extension Tensor {
  /// Rows `indices` (ascending) of a [N, ...] tensor, as one slice per run of consecutive rows.
  func rows(_ indices: [Int]) throws -> Tensor {
    var runs: [Range<Int>] = []
    for i in indices {
      if let last = runs.last, last.upperBound == i {
        runs[runs.count - 1] = last.lowerBound..<(i + 1)
      } else {
        runs.append(i..<(i + 1))
      }
    }
    let parts = try runs.map { try sliced(axis: 0, range: $0) }
    return parts.count == 1 ? parts[0] : try Tensor.concat(parts, axis: 0)
  }
}
