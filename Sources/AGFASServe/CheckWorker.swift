import AGFASCheck
import AGFASImage
import Foundation
import Logging
import ServiceLifecycle

/// The one worker: loads the models, then takes queued checks oldest first, finds and aligns
/// their faces, and runs the DFG on up to `batch` faces per call. On graceful shutdown it stops
/// between UNet steps and puts what it was running back in the queue; after a kill, the next
/// start does the same from the database.
final class CheckWorker: Service, @unchecked Sendable {
  let store: CheckStore
  let configuration: ServeConfiguration
  let status: WorkerStatus
  let metrics: ServeMetrics
  let logger: Logger
  let loadModels: @Sendable () throws -> LivenessCheck
  private let wakeups: AsyncStream<Void>
  private let wake: AsyncStream<Void>.Continuation
  private let stopping = StopFlag()

  init(
    store: CheckStore, configuration: ServeConfiguration, status: WorkerStatus, metrics: ServeMetrics, logger: Logger,
    loadModels: @escaping @Sendable () throws -> LivenessCheck
  ) {
    self.store = store
    self.configuration = configuration
    self.status = status
    self.metrics = metrics
    self.logger = logger
    self.loadModels = loadModels
    (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
  }

  /// Called when a check is accepted, so an idle worker starts at once.
  func notify() { wake.yield() }

  func run() async throws {
    let ticker = Task {
      // Also wakes the worker for retention sweeps, and for checks a restart put back.
      while !Task.isCancelled {
        try? await Task.sleep(for: .seconds(1))
        wake.yield()
      }
    }
    defer { ticker.cancel() }
    try await withGracefulShutdownHandler {
      let check: LivenessCheck
      let started = DispatchTime.now().uptimeNanoseconds
      do {
        // The service's settings decide sizes, seed and steps, whatever the loader chose.
        let loaded = try await onThread(loadModels)
        check = LivenessCheck(
          detector: loaded.detector, dfg: loaded.dfg, oanet: loaded.oanet, options: configuration.check)
        try check.dfg.check(configuration.check.reconstruction)
      } catch {
        status.failedToLoad("\(error)")
        logger.critical("cannot load the models", metadata: ["error": "\(error)"])
        throw error
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
      metrics.modelLoadSeconds.record(seconds)
      status.loaded(check)
      logger.info("models loaded", metadata: ["seconds": "\(String(format: "%.1f", seconds))"])
      let (requeued, failed) = try await store.requeueInterrupted(maxAttempts: configuration.maxAttempts)
      if requeued + failed > 0 {
        logger.notice(
          "checks interrupted by the last stop", metadata: ["requeued": "\(requeued)", "failed": "\(failed)"])
      }
      var lastSweep = Date.distantPast
      for await _ in wakeups {
        if stopping.isSet { break }
        if Date().timeIntervalSince(lastSweep) > min(60, configuration.retainSeconds / 4) {
          lastSweep = Date()
          let deleted = try await store.deleteFinished(before: Date().addingTimeInterval(-configuration.retainSeconds))
          if deleted > 0 { logger.info("retention ended", metadata: ["deleted": "\(deleted)"]) }
        }
        while !stopping.isSet {
          let claimed = try await store.claim(upTo: configuration.batch)
          try await updateGauges()
          if claimed.isEmpty { break }
          try await process(claimed, with: check)
        }
      }
    } onGracefulShutdown: {
      self.stopping.set()
      self.wake.finish()
    }
  }

  func updateGauges() async throws {
    let (queued, running) = try await store.counts()
    metrics.queued.record(Double(queued))
    metrics.running.record(Double(running))
  }

  /// Runs claimed checks to the end, or puts them back when the service is stopping.
  func process(_ records: [CheckRecord], with check: LivenessCheck) async throws {
    // Stage 1, per photo: decode and find faces. A photo that fails here fails alone.
    var found: [(id: String, faces: [LivenessCheck.FoundFace])] = []
    for record in records {
      do {
        let photo = store.photo(of: record.id).path
        let faces = try await onThread {
          try check.faces(in: try Image(contentsOfFile: photo, limits: self.configuration.imageLimits))
        }
        found.append((record.id, faces))
      } catch {
        logger.warning("check failed", metadata: ["check": "\(record.id)", "error": "\(error)"])
        try await store.fail(record.id, reason: Self.clientReason(error))
      }
    }
    // Stage 2: the DFG over every face of these checks, `batch` faces per call.
    let queue = found.flatMap { item in item.faces.map { (id: item.id, face: $0) } }
    var results: [String: [FaceResult]] = [:]
    do {
      for start in stride(from: 0, to: queue.count, by: configuration.batch) {
        let chunk = Array(queue[start..<min(start + configuration.batch, queue.count)])
        let ids = Array(Set(chunk.map(\.id)))
        let began = DispatchTime.now().uptimeNanoseconds
        let finished = try await onThread {
          let reconstructions = try check.reconstruct(chunk.map(\.face.aligned)) { step, of in
            self.status.setStep(ids, step: step, of: of)
            if self.stopping.isSet { throw CancellationError() }
          }
          return try zip(chunk, reconstructions).map { item, reconstruction in
            let face = try check.finish(item.face, reconstruction: reconstruction)
            try face.writeImages(into: self.store.faceFolder(of: item.id, face: face.index).path)
            return (item.id, FaceResult(face))
          }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        status.measured(faces: chunk.count, seconds: seconds)
        metrics.batchFaces.record(Double(chunk.count))
        metrics.facesPerSecond.record(Double(chunk.count) / max(seconds, 1e-9))
        metrics.facesDone.increment(by: Int64(chunk.count))
        for (id, result) in finished { results[id, default: []].append(result) }
      }
    } catch is CancellationError {
      let ids = found.map(\.id)
      try await store.requeue(ids)
      status.clearSteps(ids)
      logger.notice("stopping: running checks put back in the queue", metadata: ["checks": "\(ids.count)"])
      return
    } catch {
      // A failure of the batch itself (not of one photo) fails the checks in it.
      for item in found {
        try await store.fail(item.id, reason: Self.clientReason(error))
      }
      status.clearSteps(found.map(\.id))
      logger.error("batch failed", metadata: ["error": "\(error)"])
      return
    }
    for item in found {
      try await store.finish(item.id, faces: (results[item.id] ?? []).sorted { $0.face < $1.face })
    }
    status.clearSteps(found.map(\.id))
    logger.info("checks done", metadata: ["checks": "\(found.count)", "faces": "\(queue.count)"])
  }

  /// An error as a client may read it: the server's file paths replaced by "the photo".
  static func clientReason(_ error: Error) -> String {
    var text = "\(error)"
    if let range = text.range(of: "/[^ :]*checks/[0-9a-f]{32}/photo", options: .regularExpression) {
      text.replaceSubrange(range, with: "the photo")
    }
    return text
  }
}

/// Set once, read from the compute thread between UNet steps.
final class StopFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  var isSet: Bool { lock.withLock { value } }
  func set() { lock.withLock { value = true } }
}

/// Runs blocking work (oneDNN kernels, file I/O) on a thread of its own, off Swift's
/// cooperative pool, which the HTTP side needs to stay responsive.
func onThread<T>(_ body: @escaping () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    let thread = Thread { continuation.resume(with: Result { try body() }) }
    thread.stackSize = 16 << 20
    thread.start()
  }
}
