import Dispatch
import Foundation

/// Cores used by Swift-side kernels (oneDNN sizes its own OpenMP pool the same way).
let engineThreadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

/// Splits `0..<n` into at most `engineThreadCount` contiguous ranges of at least `grain`
/// elements and runs them concurrently. Bandwidth-bound loops use it (optimizer updates too);
/// tiny ones run inline.
public func parallelFor(_ n: Int, grain: Int = 1 << 14, _ body: (Range<Int>) -> Void) {
  if n <= 0 { return }
  let chunks = min(engineThreadCount, max(1, n / max(grain, 1)))
  if chunks == 1 {
    body(0..<n)
    return
  }
  let size = (n + chunks - 1) / chunks
  DispatchQueue.concurrentPerform(iterations: chunks) { c in
    let lo = c * size
    let hi = min(n, lo + size)
    if lo < hi { body(lo..<hi) }
  }
}
