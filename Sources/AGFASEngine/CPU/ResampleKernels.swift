/// Swift kernels for 2-D resampling (nearest, bilinear, area), forward and backward.
///
/// They are bandwidth-bound, and writing them here pins PyTorch's exact source-coordinate
/// arithmetic. Each works on `PlaneView`, so one loop serves both layouts and the output keeps
/// the input's layout. Backward kernels scatter into a zeroed gradient, split across threads
/// by (image, channel block) so no two threads write the same element.

/// A rank-4 tensor's storage seen as [outer, height, width, inner]: N*C planes with inner 1
/// when row-major, N images of C-vectors when channels-last.
struct PlaneView {
  let outer: Int
  let height: Int
  let width: Int
  let inner: Int

  init(_ t: Tensor) {
    let (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
    (outer, inner) = t.layout == .channelsLast ? (n, c) : (n * c, 1)
    (height, width) = (h, w)
  }

  /// Element offset of pixel (y, x) of image/plane `o`.
  @inline(__always)
  func offset(_ o: Int, _ y: Int, _ x: Int) -> Int { ((o * height + y) * width + x) * inner }

  var count: Int { outer * height * width * inner }
}

/// Runs `body(o, channels)` for every image/plane `o` and block of inner channels, in parallel.
/// `work` is the elements one call touches per channel, to size the split.
private func forEachPlaneBlock(_ v: PlaneView, work: Int, _ body: (Int, Range<Int>) -> Void) {
  let block = 64
  let blocks = (v.inner + block - 1) / block
  let perTask = Swift.max(1, work * Swift.min(v.inner, block))
  parallelFor(v.outer * blocks, grain: Swift.max(1, (1 << 14) / perTask)) { r in
    for task in r {
      let (o, b) = task.quotientAndRemainder(dividingBy: blocks)
      body(o, (b * block)..<Swift.min(v.inner, (b + 1) * block))
    }
  }
}

/// Runs `body(o, y)` for every output row, in parallel; `rowWork` is elements per row.
private func forEachImageRow(of v: PlaneView, rowWork: Int, _ body: (Int, Int) -> Void) {
  parallelFor(v.outer * v.height, grain: Swift.max(1, (1 << 14) / Swift.max(rowWork, 1))) { r in
    for row in r {
      let (o, y) = row.quotientAndRemainder(dividingBy: v.height)
      body(o, y)
    }
  }
}

// MARK: - Nearest, integer scale

/// Copies every input element into an s x s block of the output (any element type).
func nearestUpsample<T>(_ x: UnsafePointer<T>, _ v: PlaneView, scale s: Int, into y: UnsafeMutablePointer<T>) {
  let c = v.inner
  let outRow = v.width * s * c
  forEachImageRow(of: v, rowWork: outRow * s) { o, i in
    let src = x + v.offset(o, i, 0)
    let dst = y + ((o * v.height + i) * s) * outRow
    if c == 1 {
      for j in 0..<v.width {
        for k in 0..<s { dst[j * s + k] = src[j] }
      }
    } else {
      for j in 0..<v.width {
        for k in 0..<s { (dst + (j * s + k) * c).update(from: src + j * c, count: c) }
      }
    }
    for k in 1..<s { (dst + k * outRow).update(from: dst, count: outRow) }
  }
}

/// Gradient of `nearestUpsample`: each input element sums its s x s block, row by row as
/// PyTorch accumulates. `v` is the input's view.
func nearestUpsampleBackward(
  _ g: UnsafePointer<Float>, _ v: PlaneView, scale s: Int, into gx: UnsafeMutablePointer<Float>
) {
  let c = v.inner
  let outRow = v.width * s * c
  forEachImageRow(of: v, rowWork: outRow * s) { o, i in
    let src = g + ((o * v.height + i) * s) * outRow
    let dst = gx + v.offset(o, i, 0)
    for j in 0..<v.width {
      for ch in 0..<c {
        var acc: Float = 0
        for di in 0..<s {
          let line = src + di * outRow + j * s * c + ch
          for dj in 0..<s { acc += line[dj * c] }
        }
        dst[j * c + ch] = acc
      }
    }
  }
}

// MARK: - Bilinear (align_corners=False, no antialias)

/// One output coordinate's two source indices and weights.
struct LinearTap {
  var i0: Int
  var i1: Int
  var l0: Float
  var l1: Float
}

/// Taps along one axis in fp32 as PyTorch computes them: source = scale * (dst + 0.5) - 0.5
/// with scale = in / out, clamped at 0; the right tap repeats the last index at the edge.
/// The multiply-add is fused, as in PyTorch's compiled CPU kernels, which otherwise differ
/// by an ulp of the coordinate (visible as ~1e-6 errors on large inputs).
func linearTaps(input n: Int, output m: Int) -> [LinearTap] {
  if n == m { return (0..<m).map { LinearTap(i0: $0, i1: $0, l0: 1, l1: 0) } }
  let scale = Float(n) / Float(m)
  return (0..<m).map { o in
    let real = Swift.max(Float(-0.5).addingProduct(scale, Float(o) + 0.5), 0)
    let i0 = Swift.min(Int(real.rounded(.down)), n - 1)
    let l1 = Swift.min(Swift.max(real - Float(i0), 0), 1)
    return LinearTap(i0: i0, i1: i0 < n - 1 ? i0 + 1 : i0, l0: 1 - l1, l1: l1)
  }
}

/// Bilinear resize of `x` (view `v`) into `y` (view `out`, same outer/inner).
func bilinearResize(_ x: UnsafePointer<Float>, _ v: PlaneView, into y: UnsafeMutablePointer<Float>, _ out: PlaneView) {
  let (ht, wt) = (linearTaps(input: v.height, output: out.height), linearTaps(input: v.width, output: out.width))
  let c = v.inner
  forEachImageRow(of: out, rowWork: out.width * c * 4) { o, i in
    let t = ht[i]
    let (r0, r1) = (x + v.offset(o, t.i0, 0), x + v.offset(o, t.i1, 0))
    let dst = y + out.offset(o, i, 0)
    for j in 0..<out.width {
      let u = wt[j]
      let (a0, a1, b0, b1) = (r0 + u.i0 * c, r0 + u.i1 * c, r1 + u.i0 * c, r1 + u.i1 * c)
      let d = dst + j * c
      for ch in 0..<c {
        d[ch] = t.l0 * (u.l0 * a0[ch] + u.l1 * a1[ch]) + t.l1 * (u.l0 * b0[ch] + u.l1 * b1[ch])
      }
    }
  }
}

/// Gradient of `bilinearResize`: scatters each output gradient to its four taps into the
/// zeroed `gx` (view `v`); `out` is the output's view.
func bilinearResizeBackward(
  _ g: UnsafePointer<Float>, _ out: PlaneView, into gx: UnsafeMutablePointer<Float>, _ v: PlaneView
) {
  let (ht, wt) = (linearTaps(input: v.height, output: out.height), linearTaps(input: v.width, output: out.width))
  let c = v.inner
  forEachPlaneBlock(v, work: out.height * out.width * 4) { o, channels in
    for i in 0..<out.height {
      let t = ht[i]
      let (r0, r1) = (gx + v.offset(o, t.i0, 0), gx + v.offset(o, t.i1, 0))
      let src = g + out.offset(o, i, 0)
      for j in 0..<out.width {
        let u = wt[j]
        let (w00, w01, w10, w11) = (t.l0 * u.l0, t.l0 * u.l1, t.l1 * u.l0, t.l1 * u.l1)
        let (a0, a1, b0, b1) = (r0 + u.i0 * c, r0 + u.i1 * c, r1 + u.i0 * c, r1 + u.i1 * c)
        for ch in channels {
          let gv = src[j * c + ch]
          a0[ch] += w00 * gv
          a1[ch] += w01 * gv
          b0[ch] += w10 * gv
          b1[ch] += w11 * gv
        }
      }
    }
  }
}

// MARK: - Area (adaptive average pooling)

/// Window of output index o along one axis: [floor(o * n / m), ceil((o + 1) * n / m)).
func areaWindows(input n: Int, output m: Int) -> [Range<Int>] {
  (0..<m).map { o in ((o * n) / m)..<(((o + 1) * n + m - 1) / m) }
}

/// Average of each output's window; sums in window order and divides by the height then
/// the width of the window, as PyTorch's CPU kernel does.
func areaResize(_ x: UnsafePointer<Float>, _ v: PlaneView, into y: UnsafeMutablePointer<Float>, _ out: PlaneView) {
  let (hw, ww) = (areaWindows(input: v.height, output: out.height), areaWindows(input: v.width, output: out.width))
  let c = v.inner
  let windowWork = hw[0].count * ww[0].count
  forEachImageRow(of: out, rowWork: out.width * c * windowWork) { o, i in
    let rows = hw[i]
    for j in 0..<out.width {
      let cols = ww[j]
      let d = y + out.offset(o, i, j)
      for ch in 0..<c { d[ch] = 0 }
      for ih in rows {
        for iw in cols {
          let s = x + v.offset(o, ih, iw)
          for ch in 0..<c { d[ch] += s[ch] }
        }
      }
      let (kh, kw) = (Float(rows.count), Float(cols.count))
      for ch in 0..<c { d[ch] = d[ch] / kh / kw }
    }
  }
}

/// Gradient of `areaResize`: each output gradient, divided by its window size, is added to
/// every input of its window (windows may overlap) in the zeroed `gx`.
func areaResizeBackward(
  _ g: UnsafePointer<Float>, _ out: PlaneView, into gx: UnsafeMutablePointer<Float>, _ v: PlaneView
) {
  let (hw, ww) = (areaWindows(input: v.height, output: out.height), areaWindows(input: v.width, output: out.width))
  forEachPlaneBlock(v, work: v.height * v.width * 2) { o, channels in
    for i in 0..<out.height {
      let rows = hw[i]
      for j in 0..<out.width {
        let cols = ww[j]
        let (kh, kw) = (Float(rows.count), Float(cols.count))
        let src = g + out.offset(o, i, j)
        for ch in channels {
          let delta = src[ch] / kh / kw
          for ih in rows {
            for iw in cols { gx[v.offset(o, ih, iw) + ch] += delta }
          }
        }
      }
    }
  }
}
