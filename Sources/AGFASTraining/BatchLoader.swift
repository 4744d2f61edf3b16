import AGFASEngine
import AGFASImage
import Dispatch
import Foundation

/// A decoded batch: faces and reconstructions [B,3,H,W] in [-1,1], with labels and domains.
public struct TrainingBatch {
  public let images: Tensor
  public let reconstructions: Tensor
  /// 1 live, 0 spoof.
  public let labels: [Int]
  public let domains: [Int]
}

/// Decodes batches of PNG faces and reconstructions. Frames of a batch decode concurrently;
/// `prefetch` starts the next batch on a background queue while the current one trains.
public final class BatchLoader: @unchecked Sendable {
  private let queue = DispatchQueue(label: "agfas.training.prefetch")
  private let lock = NSLock()
  private var pending: (key: Int, group: DispatchGroup, result: Result<TrainingBatch, Error>?)?

  public init() {}

  /// Decodes `samples` now (mirroring the flipped ones, face and reconstruction alike).
  public static func load(_ samples: [SampledFrame]) throws -> TrainingBatch {
    var decoded = [Result<(Image, Image), Error>?](repeating: nil, count: samples.count)
    let slots = NSLock()
    DispatchQueue.concurrentPerform(iterations: samples.count) { i in
      let s = samples[i]
      let r = Result {
        let image = try Image(contentsOfFile: s.frame.image).rgb()
        let rec = try Image(contentsOfFile: s.frame.reconstruction).rgb()
        guard image.width == rec.width, image.height == rec.height else {
          throw TrainingError.data(
            "\(s.frame.image) is \(image.width)x\(image.height) but its reconstruction is \(rec.width)x\(rec.height)")
        }
        return s.flipped ? (try image.mirrored(), try rec.mirrored()) : (image, rec)
      }
      slots.withLock { decoded[i] = r }
    }
    let pairs = try decoded.map { try $0!.get() }
    return TrainingBatch(
      images: try Image.tensor(batch: pairs.map(\.0)), reconstructions: try Image.tensor(batch: pairs.map(\.1)),
      labels: samples.map(\.frame.label), domains: samples.map(\.frame.domain))
  }

  /// Starts decoding `samples` in the background, to be taken with `take(key)`.
  public func prefetch(_ samples: [SampledFrame], key: Int) {
    let group = DispatchGroup()
    lock.withLock { pending = (key, group, nil) }
    queue.async(group: group) { [self] in
      let result = Result { try BatchLoader.load(samples) }
      lock.withLock {
        if pending?.key == key { pending?.result = result }
      }
    }
  }

  /// The batch prefetched under `key`, waiting for it; decodes `samples` now if none was.
  public func take(_ samples: [SampledFrame], key: Int) throws -> TrainingBatch {
    guard let p = lock.withLock({ pending }), p.key == key else { return try BatchLoader.load(samples) }
    p.group.wait()
    let result = lock.withLock { () -> Result<TrainingBatch, Error>? in
      defer { pending = nil }
      return pending?.result
    }
    return try result?.get() ?? BatchLoader.load(samples)
  }
}

extension Image {
  /// The image mirrored left to right (a horizontal flip).
  func mirrored() throws -> Image {
    var out = pixels
    let row = width * channels
    pixels.withUnsafeBufferPointer { src in
      for y in 0..<height {
        for x in 0..<width {
          let (from, to) = (y * row + x * channels, y * row + (width - 1 - x) * channels)
          for c in 0..<channels { out[to + c] = src[from + c] }
        }
      }
    }
    return try Image(width: width, height: height, channels: channels, pixels: out)
  }
}
