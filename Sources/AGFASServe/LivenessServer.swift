import AGFASCheck
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// `agfas serve` as a library: the HTTP API, the durable queue and the worker in one service
/// group, shut down gracefully on SIGTERM/SIGINT (or `shutdown()`). Models are loaded by the
/// worker after the port is open, so `/healthz` answers at once and `/readyz` once they are in.
public final class LivenessServer: Sendable {
  public let configuration: ServeConfiguration
  let store: CheckStore
  let status = WorkerStatus()
  let metrics = ServeMetrics()
  let worker: CheckWorker
  let logger: Logger
  private let group = ShutdownTrigger()

  /// `loadModels` builds the detector, the DFG and OA-Net (the CLI loads the released files,
  /// tests tiny models); the check options of `configuration` replace the ones it sets.
  public init(
    configuration: ServeConfiguration, logger: Logger, loadModels: @escaping @Sendable () throws -> LivenessCheck
  ) throws {
    try configuration.validate()
    self.configuration = configuration
    self.logger = logger
    store = try CheckStore(folder: configuration.stateFolder)
    worker = CheckWorker(
      store: store, configuration: configuration, status: status, metrics: metrics, logger: logger,
      loadModels: loadModels)
  }

  /// Serves until a signal in `signals` or `shutdown()`; `onListening` gets the bound port.
  public func run(
    signals: [UnixSignal] = [.sigterm, .sigint], onListening: @escaping @Sendable (Int) async -> Void = { _ in }
  ) async throws {
    let routes = ServeRoutes(
      configuration: configuration, store: store, status: status, metrics: metrics, worker: worker)
    let app = Application(
      router: routes.router(),
      server: .http1(configuration: .init(idleTimeout: .seconds(configuration.idleTimeoutSeconds))),
      configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "agfas"),
      services: [worker],
      onServerRunning: { [logger, configuration] channel in
        let port = channel.localAddress?.port ?? configuration.port
        logger.info("listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
        await onListening(port)
      },
      logger: logger)
    let serviceGroup = ServiceGroup(
      configuration: .init(services: [app], gracefulShutdownSignals: signals, logger: logger))
    group.set(serviceGroup)
    try await serviceGroup.run()
  }

  /// Stops accepting, lets requests in flight finish and puts running checks back in the queue.
  public func shutdown() async {
    await group.trigger()
  }
}

/// Holds the service group for `shutdown()`, which may come before `run` has built it.
final class ShutdownTrigger: @unchecked Sendable {
  private let lock = NSLock()
  private var group: ServiceGroup?
  private var requested = false

  func set(_ group: ServiceGroup) {
    let early = lock.withLock {
      self.group = group
      return requested
    }
    if early { Task { await group.triggerGracefulShutdown() } }
  }

  func trigger() async {
    let group = lock.withLock {
      requested = true
      return self.group
    }
    await group?.triggerGracefulShutdown()
  }
}
