import AGFASImage
import AGFASOANet
import Foundation

/// A generated dataset in the folder convention: per domain 3 live and 3 spoof videos of 2
/// frames, 32x32. Live faces are smooth colour ramps, spoofs the same with strong pixel noise;
/// reconstructions are 3x3 box-blurred copies (so spoofs leave a large anomalous cue).
struct TinyDataset {
  static let size = 32
  let root: URL
  var data: String { root.appendingPathComponent("data").path }
  var reconstructions: String { root.appendingPathComponent("rec").path }

  init(domains: [String], seed: UInt64 = 7) throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-train-\(UUID().uuidString)")
    var random = LCG(state: seed)
    for (d, domain) in domains.enumerated() {
      for (kind, noisy) in [("live", false), ("spoof", true)] {
        for video in 0..<3 {
          for frame in 0..<2 {
            let image = try Self.face(random: &random, tint: d, noisy: noisy)
            let relative = "\(domain)/\(kind)/v\(video)/\(frame).png"
            try write(image, under: data, relative)
            try write(Self.blurred(image), under: reconstructions, relative)
          }
        }
      }
    }
  }

  func remove() { try? FileManager.default.removeItem(at: root) }

  private func write(_ image: Image, under folder: String, _ relative: String) throws {
    let url = URL(fileURLWithPath: folder).appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try image.writePNG(to: url.path)
  }

  static func face(random: inout LCG, tint: Int, noisy: Bool) throws -> Image {
    let n = size
    let base = (0..<3).map { c in Double(random.below(120) + 40 + (c == tint % 3 ? 40 : 0)) }
    var pixels = [UInt8](repeating: 0, count: n * n * 3)
    for y in 0..<n {
      for x in 0..<n {
        for c in 0..<3 {
          var v = base[c] + Double(x + y) * 1.5
          if noisy { v += Double(random.below(121)) - 60 }
          pixels[(y * n + x) * 3 + c] = UInt8(max(0, min(255, v)))
        }
      }
    }
    return try Image(width: n, height: n, channels: 3, pixels: pixels)
  }

  static func blurred(_ image: Image) throws -> Image {
    let n = size
    var out = image.pixels
    for y in 0..<n {
      for x in 0..<n {
        for c in 0..<3 {
          var (sum, count) = (0, 0)
          for dy in -1...1 {
            for dx in -1...1 where (0..<n).contains(y + dy) && (0..<n).contains(x + dx) {
              sum += Int(image[x: x + dx, y: y + dy, channel: c])
              count += 1
            }
          }
          out[(y * n + x) * 3 + c] = UInt8(sum / count)
        }
      }
    }
    return try Image(width: n, height: n, channels: 3, pixels: out)
  }

  /// A model config small enough for a few dozen debug-build iterations.
  static let tinyConfig = OANetConfig(
    vit: ViTConfig(
      hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, imageSize: 32, patchSize: 8),
    cueWidth: 2, embeddingDim: 16, numDomains: 3, discriminatorHidden: 16)
}

/// A tiny deterministic generator for the test images.
struct LCG {
  var state: UInt64
  mutating func below(_ n: Int) -> Int {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Int((state >> 33) % UInt64(n))
  }
}
