import AGFASEngine
import AGFASImage
import Foundation

/// Runs a `ReconstructionJob` through a `DFGPipeline`: decodes faces in batches, reconstructs
/// them and writes each PNG atomically as soon as its batch is done, so an interrupted run
/// loses at most one batch and a rerun skips everything written.
///
/// A face that cannot be read, or whose size differs from its batch's, is reported through
/// `events` and skipped; the run goes on.
public struct ReconstructionRun: Sendable {
  public enum Event: Sendable {
    /// `pending` faces to do out of `total` in this shard.
    case started(total: Int, pending: Int)
    /// A face's reconstruction was written.
    case wrote(ReconstructionJob.Item, secondsPerFace: Double)
    /// A face was skipped because of `error`.
    case failed(ReconstructionJob.Item, error: String)
    /// One UNet step of the current batch finished.
    case step(Int, of: Int)
    /// Temporary files of earlier, killed runs were removed (paths).
    case removedLeftovers([String])
    /// A batch of `faces` was reconstructed in `seconds` (decoding its images not included).
    case finishedBatch(faces: Int, seconds: Double)
  }

  public let pipeline: DFGPipeline
  public let options: DFGPipeline.Options
  public let seed: UInt64
  public let batchSize: Int

  public init(pipeline: DFGPipeline, options: DFGPipeline.Options, seed: UInt64, batchSize: Int) {
    self.pipeline = pipeline
    self.options = options
    self.seed = seed
    self.batchSize = max(1, batchSize)
  }

  /// Processes the job's pending faces; returns the number of failures. Throws, before any
  /// face is read, when the options cannot work with the pipeline (a bad scheduler kind, step
  /// count or strength): that is one error for the run, not one per face. Temporary files
  /// under the output that dead processes left before `startedAt` are removed first.
  @discardableResult
  public func run(_ job: ReconstructionJob, startedAt: Date = Date(), events: (Event) -> Void) throws -> Int {
    try pipeline.check(options)
    // A run killed mid-write (kill -9) leaves `.<name>.<pid>.<n>.tmp` beside its outputs.
    let leftovers = AtomicFile.removeLeftovers(under: job.outputRoot, before: startedAt)
    if !leftovers.isEmpty { events(.removedLeftovers(leftovers)) }
    let pending = job.pending
    events(.started(total: job.items.count, pending: pending.count))
    var failures = 0
    var batch: [(ReconstructionJob.Item, Image)] = []
    func flush() {
      guard !batch.isEmpty else { return }
      failures += process(batch, events: events)
      batch.removeAll()
    }
    for item in pending {
      do {
        let image = try Image(contentsOfFile: item.input).rgb()
        if let first = batch.first?.1, first.width != image.width || first.height != image.height { flush() }
        guard image.width % 8 == 0, image.height % 8 == 0 else {
          throw TensorError.invalidArgument(
            op: "reconstruct",
            reason:
              "image is \(image.width)x\(image.height); the VAE needs sides divisible by 8 (aligned faces are 256x256)")
        }
        batch.append((item, image))
        if batch.count == batchSize { flush() }
      } catch {
        failures += 1
        events(.failed(item, error: "\(error)"))
      }
    }
    flush()
    return failures
  }

  private func process(_ batch: [(ReconstructionJob.Item, Image)], events: (Event) -> Void) -> Int {
    let start = DispatchTime.now().uptimeNanoseconds
    do {
      let x = try Image.tensor(batch: batch.map(\.1))
      let decoded = try pipeline.reconstruct(
        x, seeds: Array(repeating: seed, count: batch.count), options: options,
        progress: { events(.step($0, of: $1)) })
      let images = try Image.images(fromBatch: decoded)
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      let perFace = seconds / Double(batch.count)
      var failures = 0
      for ((item, _), image) in zip(batch, images) {
        do {
          try FileSystemError.createFolder((item.output as NSString).deletingLastPathComponent)
          try image.writePNG(to: item.output)
          events(.wrote(item, secondsPerFace: perFace))
        } catch {
          failures += 1
          events(.failed(item, error: "\(error)"))
        }
      }
      events(.finishedBatch(faces: batch.count, seconds: seconds))
      return failures
    } catch {
      for (item, _) in batch { events(.failed(item, error: "\(error)")) }
      return batch.count
    }
  }
}
