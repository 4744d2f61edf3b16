/// Naive Double references for matmul and linear (see NaiveReferences.swift for the idea).

/// The offset of batch entry `flat` of `batch` in an operand whose batch dims `own`
/// broadcast to it (right-aligned; size-1 dims repeat), counted in matrices.
func broadcastOffset(_ flat: Int, _ batch: [Int], _ own: [Int]) -> Int {
  let index = multiIndex(flat, batch)
  var (offset, stride) = (0, 1)
  for d in own.indices.reversed() {
    let i = index[batch.count - own.count + d]
    offset += (own[d] == 1 ? 0 : i) * stride
    stride *= own[d]
  }
  return offset
}

/// torch.matmul of a [batchA..., m, k] and b [batchB..., k, n] (rank-1 operands already
/// made [1, k] / [k, 1]) with the upstream gradient `g` [batch..., m, n]: output and both
/// gradients. A gradient summed over broadcast batch entries may have each entry's product
/// rounded to bf16 first (the engine sums per-batch products): those partials are
/// `bf16Intermediate`.
func naiveMatmul(_ aShape: [Int], _ a: [Double], _ bShape: [Int], _ b: [Double], g: [Double]) -> [Expected] {
  let (m, k, n) = (aShape[aShape.count - 2], aShape[aShape.count - 1], bShape[bShape.count - 1])
  let (aBatch, bBatch) = (Array(aShape.dropLast(2)), Array(bShape.dropLast(2)))
  let rank = max(aBatch.count, bBatch.count)
  let padded = [aBatch, bBatch].map { [Int](repeating: 1, count: rank - $0.count) + $0 }
  let batch = (0..<rank).map { max(padded[0][$0], padded[1][$0]) }
  let count = batch.reduce(1, *)
  var (out, ga, gb) = (Sums(count * m * n), Sums(a.count), Sums(b.count))
  var (partialsA, partialsB) = ([Double](repeating: 0, count: a.count), [Double](repeating: 0, count: b.count))
  for e in 0..<count {
    let (ao, bo, oo) = (broadcastOffset(e, batch, aBatch) * m * k, broadcastOffset(e, batch, bBatch) * k * n, e * m * n)
    var (pa, pb) = ([Double](repeating: 0, count: m * k), [Double](repeating: 0, count: k * n))
    for i in 0..<m {
      for j in 0..<n {
        for l in 0..<k {
          out.add(oo + i * n + j, a[ao + i * k + l] * b[bo + l * n + j])
          ga.magnitude[ao + i * k + l] += abs(g[oo + i * n + j] * b[bo + l * n + j])
          pa[i * k + l] += g[oo + i * n + j] * b[bo + l * n + j]
          gb.magnitude[bo + l * n + j] += abs(a[ao + i * k + l] * g[oo + i * n + j])
          pb[l * n + j] += a[ao + i * k + l] * g[oo + i * n + j]
        }
      }
    }
    for i in pa.indices {
      ga.value[ao + i] += pa[i]
      partialsA[ao + i] += abs(pa[i])
    }
    for i in pb.indices {
      gb.value[bo + i] += pb[i]
      partialsB[bo + i] += abs(pb[i])
    }
  }
  let (repsA, repsB) = (count / aBatch.reduce(1, *), count / bBatch.reduce(1, *))
  var (gradA, gradB) = (ga.expected("grad a", terms: n * repsA), gb.expected("grad b", terms: m * repsB))
  if repsA > 1 { gradA.bf16Intermediate = partialsA }
  if repsB > 1 { gradB.bf16Intermediate = partialsB }
  return [out.expected("output", terms: k), gradA, gradB]
}

/// F.linear of x [rows, in] with weight [out, in] and optional bias [out], and its gradients
/// for the upstream gradient `g` [rows, out].
func naiveLinear(rows: Int, inFeatures: Int, outFeatures: Int, x: [Double], w: [Double], b: [Double]?, g: [Double])
  -> [Expected]
{
  var (out, gx, gw, gb) = (Sums(rows * outFeatures), Sums(x.count), Sums(w.count), Sums(outFeatures))
  for r in 0..<rows {
    for o in 0..<outFeatures {
      let yi = r * outFeatures + o
      for i in 0..<inFeatures {
        out.add(yi, x[r * inFeatures + i] * w[o * inFeatures + i])
        gx.add(r * inFeatures + i, g[yi] * w[o * inFeatures + i])
        gw.add(o * inFeatures + i, g[yi] * x[r * inFeatures + i])
      }
      if let b { out.add(yi, b[o]) }
      gb.add(o, g[yi])
    }
  }
  return [
    out.expected("output", terms: inFeatures + 1), gx.expected("grad input", terms: outFeatures),
    gw.expected("grad weight", terms: rows),
  ] + (b == nil ? [] : [gb.expected("grad bias", terms: rows)])
}
