import AGFASEngine
import Foundation

/// What one `agfas reconstruct` run cost: start-up, throughput and memory (`--stats FILE`,
/// read by `agfas bench dfg`; docs/reconstruct-speed.md).
public struct ReconstructionStats: Codable, Sendable {
  /// fp32 or bf16.
  public var precision: String
  /// Faces per UNet call (`--batch`).
  public var batch: Int
  public var written: Int
  public var failed: Int
  /// From the kernel's exec of the process to the models being ready.
  public var launchToModelsSeconds: Double
  /// From exec to the end of the first UNet step (start-up as a user waits for it).
  public var launchToFirstStepSeconds: Double?
  /// From the models being ready to the last face written.
  public var reconstructionSeconds: Double
  /// Faces written per hour of `reconstructionSeconds`.
  public var facesPerHour: Double
  /// Faces per hour over the batches after the first (nil with one batch): the rate of a long
  /// run, without the first batch's one-time costs.
  public var steadyFacesPerHour: Double?
  /// Peak resident memory of the process (VmHWM).
  public var peakResidentBytes: Int
  /// The loaded weights' size in their compute dtype (UNet, VAE, ArcFace): one copy of each.
  public var weightBytes: Int

  public init(
    precision: String, batch: Int, written: Int, failed: Int, launchToModelsSeconds: Double,
    launchToFirstStepSeconds: Double?, reconstructionSeconds: Double, steadyFacesPerHour: Double? = nil,
    peakResidentBytes: Int, weightBytes: Int
  ) {
    self.precision = precision
    self.batch = batch
    self.written = written
    self.failed = failed
    self.launchToModelsSeconds = launchToModelsSeconds
    self.launchToFirstStepSeconds = launchToFirstStepSeconds
    self.reconstructionSeconds = reconstructionSeconds
    self.facesPerHour = reconstructionSeconds > 0 ? Double(written) * 3600 / reconstructionSeconds : 0
    self.steadyFacesPerHour = steadyFacesPerHour
    self.peakResidentBytes = peakResidentBytes
    self.weightBytes = weightBytes
  }

  /// Peak resident memory over the weights' size (the memory goal is <= 1.2).
  public var memoryRatio: Double { weightBytes > 0 ? Double(peakResidentBytes) / Double(weightBytes) : .nan }
}

extension DFGPipeline {
  /// Bytes of every loaded weight (UNet, VAE, ArcFace) in the dtype it is held in.
  public var weightBytes: Int {
    let stores = [unetParameters, vaeParameters, identity.store].compactMap { $0 }
    return stores.reduce(0) { sum, store in
      sum + store.all.reduce(0) { $0 + Shape.count($1.shape) * $1.value.dtype.byteSize }
    }
  }
}
