import Foundation

/// Swift softmax kernels over a row-major [outer, n, inner] view of fp32 storage, reducing
/// the middle dim; they compute as PyTorch's CPU kernels do: max-subtracted exponentials,
/// multiplied by the reciprocal of their sum.
///
/// They work on blocks of up to 64 neighbouring columns (inner positions) at a time, so every
/// pass over the reduced dim reads contiguous runs whatever the axis and layout.
enum SoftmaxLoops {
  private static let width = 64

  /// Calls `body(base, m, a, b)` for each column block: element (k, j) of the block is at
  /// `base + k * inner + j` for j < m; `a` and `b` are `width`-float scratch rows.
  private static func forEachBlock(
    _ dims: [Int], _ body: (Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
  ) {
    let (outer, n, inner) = (dims[0], dims[1], dims[2])
    let blocks = (inner + width - 1) / width
    parallelFor(outer * blocks, grain: max(1, (1 << 14) / max(n * min(inner, width), 1))) { range in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * width) { scratch in
        let (a, b) = (scratch.baseAddress!, scratch.baseAddress! + width)
        for block in range {
          let (o, j0) = (block / blocks, (block % blocks) * width)
          body(o * n * inner + j0, min(width, inner - j0), a, b)
        }
      }
    }
  }

  /// y = softmax(x), or log-softmax (x - max) - log(sum(exp(x - max))) when `log`.
  /// `roundBF16` rounds the intermediates that PyTorch's bf16 kernels hold as bf16: the
  /// exponentials (stored into the output before scaling) of softmax, and the sum and its log
  /// of log-softmax.
  static func forward(
    _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, dims: [Int], log: Bool, roundBF16: Bool
  ) {
    let (n, inner) = (dims[1], dims[2])
    forEachBlock(dims) { base, m, maxima, sums in
      for j in 0..<m {
        maxima[j] = -.infinity
        sums[j] = 0
      }
      // A NaN makes its sum, and so its whole slice, NaN whichever maximum is kept.
      for k in 0..<n {
        let r = base + k * inner
        for j in 0..<m where x[r + j] > maxima[j] { maxima[j] = x[r + j] }
      }
      for k in 0..<n {
        let r = base + k * inner
        for j in 0..<m {
          let e = Foundation.exp(x[r + j] - maxima[j])
          sums[j] += e
          if !log { y[r + j] = roundBF16 ? BFloat16.round(e) : e }
        }
      }
      for j in 0..<m {
        if !log {
          sums[j] = 1 / sums[j]
        } else if roundBF16 {
          sums[j] = BFloat16.round(Foundation.log(BFloat16.round(sums[j])))
        } else {
          sums[j] = Foundation.log(sums[j])
        }
      }
      for k in 0..<n {
        let r = base + k * inner
        if log {
          for j in 0..<m { y[r + j] = (x[r + j] - maxima[j]) - sums[j] }
        } else {
          for j in 0..<m { y[r + j] *= sums[j] }
        }
      }
    }
  }

  /// The input gradient from the output `y` and its gradient `g`:
  /// softmax: y * (g - sum(g * y)); log-softmax: g - exp(y) * sum(g).
  static func backward(
    _ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, dims: [Int], log: Bool
  ) {
    let (n, inner) = (dims[1], dims[2])
    if inner == 1 { return backwardRows(y, g, dx, rows: dims[0], cols: n, log: log) }
    forEachBlock(dims) { base, m, sums, _ in
      for j in 0..<m { sums[j] = 0 }
      for k in 0..<n {
        let r = base + k * inner
        for j in 0..<m { sums[j] += log ? g[r + j] : g[r + j] * y[r + j] }
      }
      for k in 0..<n {
        let r = base + k * inner
        if log {
          for j in 0..<m { dx[r + j] = g[r + j] - Foundation.exp(y[r + j]) * sums[j] }
        } else {
          for j in 0..<m { dx[r + j] = y[r + j] * (g[r + j] - sums[j]) }
        }
      }
    }
  }

  /// `backward` with the reduced axis innermost ([rows, cols] dense): the kernel used where
  /// oneDNN has only its reference softmax backward (AVX2). Eight running sums keep the
  /// loop vectorised without reassociating one scalar sum. `dx` may be `g`.
  static func backwardRows(
    _ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
    log: Bool
  ) {
    parallelFor(rows, grain: max(1, (1 << 15) / max(cols, 1))) { range in
      for r in range {
        let (yr, gr, dr) = (y + r * cols, g + r * cols, dx + r * cols)
        var lanes = SIMD8<Float>()
        var c = 0
        while c + 8 <= cols {
          let gv = UnsafeRawPointer(gr + c).loadUnaligned(as: SIMD8<Float>.self)
          lanes += log ? gv : gv * UnsafeRawPointer(yr + c).loadUnaligned(as: SIMD8<Float>.self)
          c += 8
        }
        var sum = lanes.sum()
        for t in c..<cols { sum += log ? gr[t] : gr[t] * yr[t] }
        if log {
          for t in 0..<cols { dr[t] = gr[t] - Foundation.exp(yr[t]) * sum }
        } else {
          for t in 0..<cols { dr[t] = yr[t] * (gr[t] - sum) }
        }
      }
    }
  }
}
