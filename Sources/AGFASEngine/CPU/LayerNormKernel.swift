/// Layer normalisation over contiguous fp32 rows: `rows` rows of `width` values, each
/// normalised on its own, with an element-wise affine shared by all rows.
struct LayerNormRows {
  let rows: Int
  let width: Int

  /// Rows per parallel task: enough values to amortise thread hand-off, and few enough tasks
  /// that the per-task column sums of the backward stay small.
  private var rowsPerTask: Int {
    max(1, (1 << 14) / max(width, 1), (rows + 4 * engineThreadCount - 1) / (4 * engineThreadCount))
  }

  /// Normalises every row into `out`; returns each row's mean and rstd (kept for backward).
  func forward(
    _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, weight: [Float], bias: [Float], eps: Float
  ) -> (mean: [Float], rstd: [Float]) {
    var mean = [Float](repeating: 0, count: rows)
    var rstd = [Float](repeating: 0, count: rows)
    let m = Double(width)
    mean.withUnsafeMutableBufferPointer { mb in
      rstd.withUnsafeMutableBufferPointer { rb in
        weight.withUnsafeBufferPointer { wb in
          bias.withUnsafeBufferPointer { bb in
            let (w, b) = (wb.baseAddress!, bb.baseAddress!)
            parallelFor(rows, grain: rowsPerTask) { [width] r in
              for row in r {
                let (xp, op) = (x + row * width, out + row * width)
                let mu = Float(runSum(xp, width) / m)
                let rs = Float(reciprocalStd(runSquaredDeviation(xp, width, mean: mu) / m, eps: eps))
                mb[row] = mu
                rb[row] = rs
                for j in 0..<width { op[j] = (xp[j] - mu) * rs * w[j] + b[j] }
              }
            }
          }
        }
      }
    }
    return (mean, rstd)
  }

  /// Back-propagates `g`: writes the input gradient into `gradInput` when given and returns
  /// the weight and bias gradients (column sums over the rows).
  func backward(
    _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mean: [Float], rstd: [Float], weight: [Float],
    gradInput: UnsafeMutablePointer<Float>?
  ) -> (weight: [Float], bias: [Float]) {
    let per = rowsPerTask
    let tasks = (rows + per - 1) / per
    // Each task sums its own rows' columns; tasks are combined in order afterwards.
    var partial = [Double](repeating: 0, count: tasks * 2 * width)
    let m = Float(width)
    partial.withUnsafeMutableBufferPointer { pb in
      weight.withUnsafeBufferPointer { wb in
        let w = wb.baseAddress!
        parallelFor(tasks, grain: 1) { [width, rows] r in
          let wg = UnsafeMutablePointer<Float>.allocate(capacity: width)
          defer { wg.deallocate() }
          for task in r {
            let accB = pb.baseAddress! + task * 2 * width
            let accW = accB + width
            for row in (task * per)..<min(rows, (task + 1) * per) {
              let (gp, xp) = (g + row * width, x + row * width)
              let (mu, rs) = (mean[row], rstd[row])
              for j in 0..<width {
                accB[j] += Double(gp[j])
                accW[j] += Double(gp[j] * (xp[j] - mu) * rs)
                wg[j] = gp[j] * w[j]
              }
              guard let gradInput else { continue }
              // dx = rstd * (w g - mean(w g) - xhat * mean(w g xhat)), xhat = (x - mean) rstd.
              let (sumWG, sumWGX) = runGradSums(wg, xp, width, mean: mu)
              let shift = -rs * Float(sumWG) / m
              let xScale = -rs * rs * rs * Float(sumWGX) / m
              let op = gradInput + row * width
              for j in 0..<width { op[j] = wg[j] * rs + (xp[j] - mu) * xScale + shift }
            }
          }
        }
      }
    }
    var gradBias = [Double](repeating: 0, count: width)
    var gradWeight = [Double](repeating: 0, count: width)
    for task in 0..<tasks {
      for j in 0..<width {
        gradBias[j] += partial[task * 2 * width + j]
        gradWeight[j] += partial[task * 2 * width + width + j]
      }
    }
    return (gradWeight.map { Float($0) }, gradBias.map { Float($0) })
  }
}
