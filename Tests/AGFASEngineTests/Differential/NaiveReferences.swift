/// Naive references for the heavy ops, in Double: one loop per definition, no blocking, no
/// reordering, so each is obviously the textbook formula. Next to every sum they keep
/// Σ|terms| (the scale of the engine's rounding errors, see `Expected`).

/// Sums in Double with the sum of absolute terms beside each.
struct Sums {
  var value: [Double]
  var magnitude: [Double]

  init(_ count: Int) {
    value = [Double](repeating: 0, count: count)
    magnitude = value
  }

  mutating func add(_ i: Int, _ term: Double) {
    value[i] += term
    magnitude[i] += abs(term)
  }

  /// An fp32 accumulation of at most `terms` terms per element, plus the final store.
  func expected(_ name: String, terms: Int) -> Expected {
    Expected(name: name, values: value, magnitude: magnitude, roundings: accumulationRoundings(terms) + 2)
  }
}

/// conv2d's parameters: NCHW input, OIHW weight, (height, width) pairs.
struct ConvShape: CustomStringConvertible {
  var batch, inChannels, height, width, outChannels, groups: Int
  var kernel, stride, padding, dilation: [Int]
  var bias: Bool

  var outSize: [Int] {
    [height, width].indices.map { d in
      ([height, width][d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) / stride[d] + 1
    }
  }
  var input: [Int] { [batch, inChannels, height, width] }
  var weight: [Int] { [outChannels, inChannels / groups] + kernel }
  var output: [Int] { [batch, outChannels] + outSize }

  var description: String {
    "x \(input) w \(weight) stride \(stride) padding \(padding) dilation \(dilation) groups \(groups) "
      + (bias ? "bias" : "no bias")
  }
}

/// conv2d forward and all three gradients for the upstream gradient `gy`, in one pass over
/// every (output position, kernel tap) product.
func naiveConv2d(_ s: ConvShape, x: [Double], w: [Double], b: [Double]?, gy: [Double]) -> [Expected] {
  let (o, inG, outG) = (s.outSize, s.inChannels / s.groups, s.outChannels / s.groups)
  var (out, gx, gw, gb) = (Sums(s.output.reduce(1, *)), Sums(x.count), Sums(w.count), Sums(s.outChannels))
  for n in 0..<s.batch {
    for oc in 0..<s.outChannels {
      let group = oc / outG
      for oh in 0..<o[0] {
        for ow in 0..<o[1] {
          let yi = ((n * s.outChannels + oc) * o[0] + oh) * o[1] + ow
          for icg in 0..<inG {
            let ic = group * inG + icg
            for kh in 0..<s.kernel[0] {
              let ih = oh * s.stride[0] - s.padding[0] + kh * s.dilation[0]
              guard ih >= 0, ih < s.height else { continue }
              for kw in 0..<s.kernel[1] {
                let iw = ow * s.stride[1] - s.padding[1] + kw * s.dilation[1]
                guard iw >= 0, iw < s.width else { continue }
                let xi = ((n * s.inChannels + ic) * s.height + ih) * s.width + iw
                let wi = ((oc * inG + icg) * s.kernel[0] + kh) * s.kernel[1] + kw
                out.add(yi, x[xi] * w[wi])
                gx.add(xi, gy[yi] * w[wi])
                gw.add(wi, x[xi] * gy[yi])
              }
            }
          }
          if let b { out.add(yi, b[oc]) }
          gb.add(oc, gy[yi])
        }
      }
    }
  }
  let taps = s.kernel[0] * s.kernel[1]
  let positions = s.batch * o[0] * o[1]
  return [
    out.expected("output", terms: inG * taps + 1), gx.expected("grad input", terms: outG * taps),
    gw.expected("grad weight", terms: positions),
  ] + (b == nil ? [] : [gb.expected("grad bias", terms: positions)])
}

/// Pooling's parameters: NCHW input, (height, width) pairs, PyTorch's output-size rule.
struct PoolShape: CustomStringConvertible {
  enum Kind: String { case max, averageIncludingPadding, averageExcludingPadding }
  var kind: Kind
  var batch, channels, height, width: Int
  var kernel, stride, padding: [Int]
  var ceilMode: Bool

  /// floor (or ceil) of (size + 2 pad - kernel) / stride, plus one; in ceil mode a last
  /// window that would start past the input and its left padding is dropped.
  var outSize: [Int] {
    [height, width].indices.map { d in
      let size = [height, width][d]
      var o = (size + 2 * padding[d] - kernel[d] + (ceilMode ? stride[d] - 1 : 0)) / stride[d] + 1
      if ceilMode, (o - 1) * stride[d] >= size + padding[d] { o -= 1 }
      return o
    }
  }
  var input: [Int] { [batch, channels, height, width] }

  var description: String {
    "\(kind) x \(input) kernel \(kernel) stride \(stride) padding \(padding)" + (ceilMode ? " ceil" : "")
  }
}

/// Pooling forward and the input gradient for `gy`. Max: padding is -inf and the gradient
/// goes to the first maximum in row-major window order. Average: the divisor counts the
/// window clipped to the padded input (or to the input alone, without count_include_pad).
func naivePool2d(_ s: PoolShape, x: [Double], gy: [Double]) -> [Expected] {
  let o = s.outSize
  var (out, gx) = (Sums(s.batch * s.channels * o[0] * o[1]), Sums(x.count))
  for plane in 0..<(s.batch * s.channels) {
    for oh in 0..<o[0] {
      for ow in 0..<o[1] {
        let yi = (plane * o[0] + oh) * o[1] + ow
        let start = [oh * s.stride[0] - s.padding[0], ow * s.stride[1] - s.padding[1]]
        let paddedEnd = [
          min(start[0] + s.kernel[0], s.height + s.padding[0]), min(start[1] + s.kernel[1], s.width + s.padding[1]),
        ]
        let (h0, w0) = (max(start[0], 0), max(start[1], 0))
        let (h1, w1) = (min(paddedEnd[0], s.height), min(paddedEnd[1], s.width))
        let taps = (h0..<h1).flatMap { ih in (w0..<w1).map { iw in (plane * s.height + ih) * s.width + iw } }
        if s.kind == .max {
          var best = taps[0]
          for t in taps where x[t] > x[best] { best = t }
          out.add(yi, x[best])
          gx.add(best, gy[yi])
        } else {
          let divisor = Double(
            s.kind == .averageIncludingPadding
              ? (paddedEnd[0] - start[0]) * (paddedEnd[1] - start[1]) : (h1 - h0) * (w1 - w0))
          for t in taps {
            out.add(yi, x[t] / divisor)
            gx.add(t, gy[yi] / divisor)
          }
        }
      }
    }
  }
  // Windows overlapping one input element: at most ceil(kernel / stride) per dim.
  let overlaps = (0..<2).map { (s.kernel[$0] + s.stride[$0] - 1) / s.stride[$0] }.reduce(1, *)
  var output = out.expected("output", terms: s.kernel[0] * s.kernel[1] + 1)
  if s.kind == .max {
    // The maximum is one of the inputs: exact in either dtype.
    output.roundings = 0
    output.bf16FinalRoundings = 0
  }
  return [output, gx.expected("grad input", terms: overlaps + 1)]
}
