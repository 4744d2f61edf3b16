import AGFASEngine

/// How 8-bit samples map to network floats and back.
public enum PixelNormalization: Sendable {
  /// `x/255`, then `(x - 0.5)/0.5`, in fp32: [-1, 1], the AG-FAS network input (docs/method.md §1,
  /// torchvision's ToTensor then Normalize(0.5, 0.5)). Back: `clamp(x/2 + 0.5, 0, 1)`, then
  /// `round(255 x)` (docs/method.md §2.5, diffusers' VAE post-processing and numpy_to_pil).
  case minusOneToOne
  /// `x/255`: [0, 1] (ToTensor alone). Back: `round(255 clamp(x, 0, 1))`.
  case zeroToOne

  /// The float of each 8-bit value, computed with the same fp32 operations as torch.
  var table: [Float] {
    (0...255).map { (v: Int) -> Float in
      let unit = Float(v) / 255
      return self == .minusOneToOne ? (unit - 0.5) / 0.5 : unit
    }
  }

  /// The 8-bit value of a float. Rounding is numpy's `round` (half to even); NaN gives 0
  /// (numpy leaves NaN-to-uint8 undefined).
  @inline(__always) func sample(_ x: Float) -> UInt8 {
    let unit = self == .minusOneToOne ? x / 2 + 0.5 : x
    guard !unit.isNaN else { return 0 }
    return UInt8((Swift.min(Swift.max(unit, 0), 1) * 255).rounded(.toNearestOrEven))
  }
}

extension Image {
  /// This image as a [1,3,H,W] fp32 tensor (RGB planes; grey is replicated, alpha dropped).
  public func tensor(normalized: PixelNormalization = .minusOneToOne) -> Tensor {
    let t = Tensor.empty([1, 3, height, width])
    withExtendedLifetime(t) { writePlanes(into: t.floats().baseAddress!, table: normalized.table) }
    return t
  }

  /// Images of one size as a [B,3,H,W] fp32 tensor.
  public static func tensor(batch images: [Image], normalized: PixelNormalization = .minusOneToOne) throws
    -> Tensor
  {
    guard let first = images.first else { throw ImageError.invalidImage(reason: "empty batch") }
    if let i = images.firstIndex(where: { $0.width != first.width || $0.height != first.height }) {
      throw ImageError.invalidImage(
        reason: "batch images differ in size: \(first.width)x\(first.height) (image 0), "
          + "\(images[i].width)x\(images[i].height) (image \(i))")
    }
    let t = Tensor.empty([images.count, 3, first.height, first.width])
    let table = normalized.table
    withExtendedLifetime(t) {
      let base = t.floats().baseAddress!
      for (i, image) in images.enumerated() {
        image.writePlanes(into: base + i * 3 * first.width * first.height, table: table)
      }
    }
    return t
  }

  /// The RGB image of a [3,H,W] or [1,3,H,W] tensor (any dtype or layout).
  public init(tensor: Tensor, normalized: PixelNormalization = .minusOneToOne) throws {
    let op = "Image(tensor:)"
    guard tensor.rank == 3 || (tensor.rank == 4 && tensor.shape[0] == 1) else {
      throw TensorError.rank(op: op, shape: tensor.shape, expected: "[3,H,W] or [1,3,H,W]")
    }
    let batch = tensor.rank == 3 ? try tensor.reshaped([1] + tensor.shape) : tensor
    self = try Image.images(batch: batch, normalized, op: op, shape: tensor.shape)[0]
  }

  /// The RGB images of a [B,3,H,W] tensor (any dtype or layout).
  public static func images(fromBatch tensor: Tensor, normalized: PixelNormalization = .minusOneToOne) throws
    -> [Image]
  {
    guard tensor.rank == 4 else {
      throw TensorError.rank(op: "Image.images(fromBatch:)", shape: tensor.shape, expected: "[B,3,H,W]")
    }
    return try images(batch: tensor, normalized, op: "Image.images(fromBatch:)", shape: tensor.shape)
  }

  /// The images of a [B,3,H,W] tensor; `op` and `shape` (as the caller got it) are for errors.
  private static func images(batch tensor: Tensor, _ normalization: PixelNormalization, op: String, shape: [Int])
    throws -> [Image]
  {
    guard tensor.shape[1] == 3 else {
      throw TensorError.invalidArgument(
        op: op, reason: "shape \(shape) has \(tensor.shape[1]) channels, 3 (RGB) expected")
    }
    let (height, width) = (tensor.shape[2], tensor.shape[3])
    let plane = height * width
    let t = try tensor.fp32RowMajor()
    return try withExtendedLifetime(t) {
      let values = t.floats()
      return try (0..<tensor.shape[0]).map { b in
        try Image(width: width, height: height, channels: 3) { out in
          let base = b * 3 * plane
          for p in 0..<plane {
            for c in 0..<3 { out[p * 3 + c] = normalization.sample(values[base + c * plane + p]) }
          }
        }
      }
    }
  }

  /// Writes the RGB planes (3 x height x width floats) of this image at `destination`.
  private func writePlanes(into destination: UnsafeMutablePointer<Float>, table: [Float]) {
    let plane = width * height
    let offsets = rgbSources
    pixels.withUnsafeBufferPointer { src in
      table.withUnsafeBufferPointer { lut in
        for c in 0..<3 {
          let out = destination + c * plane
          for p in 0..<plane { out[p] = lut[Int(src[p * channels + offsets[c]])] }
        }
      }
    }
  }
}
