/// fp32 activations seen as [N, C, S] (S: the product of the dims after C), the shape group
/// and batch normalisation reduce over.
///
/// Two storage orders: N,C,S (row-major), where each (n, c) is one contiguous run of S values,
/// and N,S,C (channels-last, or row-major with S == 1), where each (n, s) is one contiguous
/// row of C values. Per-channel work on the second order accumulates whole rows into
/// per-channel vectors, so memory is read once, in order, whatever the channel grouping.
struct ChannelView {
  let n: Int
  let c: Int
  let s: Int
  /// Storage is N,S,C.
  let channelsInner: Bool
  /// Coefficients and totals are per (n, c) (index n * C + c) when true (group norm), per
  /// channel when false (batch norm), so batch norm never holds per-sample vectors.
  let perSample: Bool

  /// The view of a tensor of rank >= 2 with logical shape [N, C, ...].
  init(_ t: Tensor, perSample: Bool) {
    n = t.shape[0]
    c = t.shape[1]
    s = Shape.count(Array(t.shape.dropFirst(2)))
    channelsInner = t.layout == .channelsLast || s == 1
    self.perSample = perSample
  }

  /// Entries of a coefficient or total vector.
  var coefficientCount: Int { perSample ? n * c : c }

  /// Index of the first coefficient of storage row `row` (= n * S + s) in N,S,C order.
  @inline(__always)
  private func sampleBase(row: Int) -> Int { perSample ? (row / s) * c : 0 }

  /// Values per parallel task: enough to amortise thread hand-off.
  private static let grain = 1 << 14

  /// Totals (per `coefficientCount` entry) of `k` (1 or 2) quantities. `run(nc, base)`
  /// returns the totals of channel run nc starting at element `base` (N,C,S order);
  /// `rows(first, end, acc)` adds rows `first..<end` (numbered n * S + s) into `acc[q * C + c]`
  /// (N,S,C order; the rows of one call share a sample when `perSample`).
  private func reduce(
    k: Int, run: (_ nc: Int, _ base: Int) -> (Double, Double),
    rows: (_ first: Int, _ end: Int, _ acc: UnsafeMutablePointer<Double>) -> Void
  ) -> [[Double]] {
    var totals = [[Double]](repeating: [Double](repeating: 0, count: coefficientCount), count: k)
    if n * c == 0 || s == 0 { return totals }
    if !channelsInner {
      var flat = [Double](repeating: 0, count: 2 * n * c)
      flat.withUnsafeMutableBufferPointer { out in
        parallelFor(n * c, grain: max(1, Self.grain / s)) { r in
          for nc in r { (out[nc], out[n * c + nc]) = run(nc, nc * s) }
        }
      }
      for q in 0..<k {
        for nc in 0..<(n * c) { totals[q][perSample ? nc : nc % c] += flat[q * n * c + nc] }
      }
      return totals
    }
    // Each task owns a span of rows and its own accumulators; spans are summed afterwards in
    // a fixed order, so results do not depend on thread timing.
    let samples = perSample ? n : 1
    let rowsPerSample = perSample ? s : n * s
    let rowsPerTask = max(Self.grain / c, (rowsPerSample + 4 * engineThreadCount - 1) / (4 * engineThreadCount), 1)
    let tasksPerSample = (rowsPerSample + rowsPerTask - 1) / rowsPerTask
    let width = k * c
    var partial = [Double](repeating: 0, count: samples * tasksPerSample * width)
    partial.withUnsafeMutableBufferPointer { buf in
      let base = buf.baseAddress!
      parallelFor(samples * tasksPerSample, grain: 1) { r in
        for task in r {
          let (sample, span) = task.quotientAndRemainder(dividingBy: tasksPerSample)
          let first = sample * rowsPerSample + span * rowsPerTask
          let end = sample * rowsPerSample + min(rowsPerSample, (span + 1) * rowsPerTask)
          rows(first, end, base + task * width)
        }
      }
    }
    for sample in 0..<samples {
      for task in 0..<tasksPerSample {
        let off = (sample * tasksPerSample + task) * width
        for q in 0..<k {
          for ch in 0..<c { totals[q][sample * c + ch] += partial[off + q * c + ch] }
        }
      }
    }
    return totals
  }

  /// Sums of x.
  func sums<E: NormElement>(_ x: UnsafePointer<E>) -> [Double] {
    reduce(k: 1) { _, base in
      (runSum(x + base, s), 0)
    } rows: { [c] first, end, acc in
      for row in first..<end {
        let p = x + row * c
        for ch in 0..<c { acc[ch] += Double(E.float(p, ch)) }
      }
    }[0]
  }

  /// Sums of (x - mean)^2.
  func squaredDeviations<E: NormElement>(_ x: UnsafePointer<E>, mean: [Float]) -> [Double] {
    mean.withUnsafeBufferPointer { m in
      reduce(k: 1) { nc, base in
        (runSquaredDeviation(x + base, s, mean: m[perSample ? nc : nc % c]), 0)
      } rows: { [c] first, end, acc in
        for row in first..<end {
          let (p, mn) = (x + row * c, m.baseAddress! + sampleBase(row: row))
          for ch in 0..<c {
            let d = E.float(p, ch) - mn[ch]
            acc[ch] += Double(d * d)
          }
        }
      }[0]
    }
  }

  /// Sums of g and of g * (x - mean).
  func gradSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mean: [Float]) -> ([Double], [Double]) {
    let t = mean.withUnsafeBufferPointer { m in
      reduce(k: 2) { nc, base in
        runGradSums(g + base, x + base, s, mean: m[perSample ? nc : nc % c])
      } rows: { [c] first, end, acc in
        let accX = acc + c
        for row in first..<end {
          let (gp, xp, mn) = (g + row * c, x + row * c, m.baseAddress! + sampleBase(row: row))
          for ch in 0..<c {
            acc[ch] += Double(gp[ch])
            accX[ch] += Double(gp[ch] * (xp[ch] - mn[ch]))
          }
        }
      }
    }
    return (t[0], t[1])
  }

  /// `out = (x - mean) * xScale + shift` in the element type of `x` (the forward of
  /// `apply`, for bf16 in and out without fp32 copies).
  func normalize<E: NormElement>(
    _ x: UnsafePointer<E>, into out: UnsafeMutablePointer<E>, mean: [Float], xScale: [Float], shift: [Float]
  ) {
    let cn = coefficientCount
    let coefficients = mean + xScale + shift
    coefficients.withUnsafeBufferPointer { cb in
      let coef = cb.baseAddress!
      if !channelsInner {
        parallelFor(n * c, grain: max(1, Self.grain / max(s, 1))) { [s, c] r in
          for nc in r {
            let k = perSample ? nc : nc % c
            let (mv, xv, bv) = (coef[k], coef[cn + k], coef[2 * cn + k])
            let (xp, op) = (x + nc * s, out + nc * s)
            for i in 0..<s { op[i] = E.element((E.float(xp, i) - mv) * xv + bv) }
          }
        }
        return
      }
      parallelFor(n * s, grain: max(1, Self.grain / max(c, 1))) { [c] r in
        for row in r {
          let mp = coef + sampleBase(row: row)
          let (xsp, bp) = (mp + cn, mp + 2 * cn)
          let (xp, op) = (x + row * c, out + row * c)
          for ch in 0..<c { op[ch] = E.element((E.float(xp, ch) - mp[ch]) * xsp[ch] + bp[ch]) }
        }
      }
    }
  }

  /// `out = g * gScale + (x - mean) * xScale + shift`, with coefficient vectors. Without
  /// `g` (forward), `out = (x - mean) * xScale + shift` (`normalize`); otherwise it is a
  /// normalisation's input gradient.
  func apply(
    _ g: UnsafePointer<Float>?, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
    mean: [Float], gScale: [Float]?, xScale: [Float], shift: [Float]
  ) {
    guard let g, let gScale else {
      return normalize(x, into: out, mean: mean, xScale: xScale, shift: shift)
    }
    let cn = coefficientCount
    let coefficients = mean + xScale + shift + gScale
    coefficients.withUnsafeBufferPointer { cb in
      let coef = cb.baseAddress!
      if !channelsInner {
        parallelFor(n * c, grain: max(1, Self.grain / max(s, 1))) { [s, c] r in
          for nc in r {
            let k = perSample ? nc : nc % c
            let (mv, xv, bv, gv) = (coef[k], coef[cn + k], coef[2 * cn + k], coef[3 * cn + k])
            let (gp, xp, op) = (g + nc * s, x + nc * s, out + nc * s)
            for i in 0..<s { op[i] = gp[i] * gv + (xp[i] - mv) * xv + bv }
          }
        }
        return
      }
      parallelFor(n * s, grain: max(1, Self.grain / max(c, 1))) { [c] r in
        for row in r {
          let mp = coef + sampleBase(row: row)
          let (xsp, bp, gsp) = (mp + cn, mp + 2 * cn, mp + 3 * cn)
          let (gp, xp, op) = (g + row * c, x + row * c, out + row * c)
          for ch in 0..<c { op[ch] = gp[ch] * gsp[ch] + (xp[ch] - mp[ch]) * xsp[ch] + bp[ch] }
        }
      }
    }
  }
}
