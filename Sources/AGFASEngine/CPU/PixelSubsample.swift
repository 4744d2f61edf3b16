import Foundation

/// Every `stride`-th pixel of channels-last images and the reverse scatter: a strided 1x1
/// convolution becomes a subsample and a stride-1 1x1 convolution (see `Conv2d.swift`).

extension Tensor {
  /// Pixels (i * stride.0, j * stride.1) of this channels-last [N, C, H, W] tensor, as a
  /// channels-last [N, C, ceil(H / s0), ceil(W / s1)] tensor of the same dtype.
  func pixelsSubsampled(_ stride: [Int]) -> Tensor {
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let (oh, ow) = ((h - 1) / stride[0] + 1, (w - 1) / stride[1] + 1)
    let out = Tensor.empty([n, c, oh, ow], dtype: dtype, layout: .channelsLast)
    copyPixels(n: n, rows: oh, cols: ow, bytes: c * dtype.byteSize) { b, i, j in
      (
        storage.raw + ((b * h + i * stride[0]) * w + j * stride[1]) * c * dtype.byteSize,
        out.storage.raw + ((b * oh + i) * ow + j) * c * dtype.byteSize
      )
    }
    return out
  }

  /// The gradient of `pixelsSubsampled`: this channels-last [N, C, oh, ow] tensor written at
  /// every `stride`-th pixel of a zero channels-last [N, C, height, width] tensor.
  func pixelsScattered(_ stride: [Int], height h: Int, width w: Int) -> Tensor {
    let (n, c, oh, ow) = (shape[0], shape[1], shape[2], shape[3])
    let out = Tensor.empty([n, c, h, w], dtype: dtype, layout: .channelsLast)
    memset(out.storage.raw, 0, out.count * dtype.byteSize)
    copyPixels(n: n, rows: oh, cols: ow, bytes: c * dtype.byteSize) { b, i, j in
      (
        storage.raw + ((b * oh + i) * ow + j) * c * dtype.byteSize,
        out.storage.raw + ((b * h + i * stride[0]) * w + j * stride[1]) * c * dtype.byteSize
      )
    }
    return out
  }
}

/// Copies `bytes` from `address(b, i, j).from` to `.to` for every image b and pixel (i, j).
private func copyPixels(
  n: Int, rows: Int, cols: Int, bytes: Int,
  _ address: (Int, Int, Int) -> (from: UnsafeMutableRawPointer, to: UnsafeMutableRawPointer)
) {
  parallelFor(n * rows, grain: max(1, (1 << 16) / max(cols * bytes, 1))) { range in
    for row in range {
      for j in 0..<cols {
        let (from, to) = address(row / rows, row % rows, j)
        to.copyMemory(from: from, byteCount: bytes)
      }
    }
  }
}
