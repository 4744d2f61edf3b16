import AGFASNN

/// One sample of a training batch: a frame and whether to mirror it (face and reconstruction
/// together).
public struct SampledFrame: Equatable, Sendable {
  public var frame: TrainingFrame
  public var flipped: Bool

  public init(frame: TrainingFrame, flipped: Bool) {
    self.frame = frame
    self.flipped = flipped
  }
}

/// SSDG's balanced batches (docs/method.md §5): every iteration takes `perClass` live frames from each
/// source domain, then `perClass` spoof frames from each (live of domains 0, 1, 2, then spoof
/// of 0, 1, 2, as the reference concatenates them). Each (domain, class) pool is walked in a
/// fresh random order per pass (an epoch of that pool), like the reference's shuffled
/// per-domain loaders; a flip is drawn per sample with p = 0.5. Everything is a function of
/// the seed and the iteration (`SeededRandom`), so resuming needs no other state.
public struct BalancedSampler: Sendable {
  /// Pools in batch order: live of each domain, then spoof of each domain.
  public let pools: [[TrainingFrame]]
  public let perClass: Int
  public let seed: UInt64

  /// `domains[d]`: the frames of source domain d; each needs live and spoof frames.
  public init(domains: [[TrainingFrame]], perClass: Int = 10, seed: UInt64 = 0) throws {
    guard perClass > 0 else { throw TrainingError.options("samples per class \(perClass) must be > 0") }
    var live: [[TrainingFrame]] = []
    var spoof: [[TrainingFrame]] = []
    for (d, frames) in domains.enumerated() {
      live.append(frames.filter { $0.label == 1 })
      spoof.append(frames.filter { $0.label == 0 })
      guard !live[d].isEmpty, !spoof[d].isEmpty else {
        throw TrainingError.data(
          "source domain \(d) needs live and spoof frames (\(live[d].count) live, \(spoof[d].count) spoof)")
      }
    }
    pools = live + spoof
    self.perClass = perClass
    self.seed = seed
  }

  /// The batch of 1-based `iteration`: `2 * perClass * domains` samples.
  public func batch(iteration: Int) -> [SampledFrame] {
    var flips = SeededRandom(seed: seed, 1, iteration)
    var out: [SampledFrame] = []
    for (p, pool) in pools.enumerated() {
      let n = pool.count
      var epochOrder: (epoch: Int, order: [Int]) = (-1, [])
      for j in 0..<perClass {
        let draw = (iteration - 1) * perClass + j
        let epoch = draw / n
        if epoch != epochOrder.epoch {
          var r = SeededRandom(seed: seed, 0, p, epoch)
          epochOrder = (epoch, r.permutation(n))
        }
        out.append(SampledFrame(frame: pool[epochOrder.order[draw % n]], flipped: flips.next() & 1 == 1))
      }
    }
    return out
  }
}
