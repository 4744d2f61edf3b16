import CoreMetrics
import Foundation
import Prometheus

/// The service's metrics, on `/metrics`: swift-metrics instruments backed by a Prometheus
/// registry of this server's own (not the process-wide MetricsSystem), so that several
/// servers in one process, as in the tests, count apart, and an embedding program keeps its
/// own bootstrap.
final class ServeMetrics: Sendable {
  let registry = PrometheusCollectorRegistry()
  let factory: PrometheusMetricsFactory
  let queued: CoreMetrics.Gauge
  let running: CoreMetrics.Gauge
  let batchFaces: CoreMetrics.Recorder
  let facesPerSecond: CoreMetrics.Gauge
  let facesDone: CoreMetrics.Counter
  let modelLoadSeconds: CoreMetrics.Gauge

  init() {
    var factory = PrometheusMetricsFactory(registry: registry)
    factory.valueHistogramBuckets["agfas_batch_faces"] = [1, 2, 4, 8, 16, 32, 64]
    factory.durationHistogramBuckets["agfas_http_request_duration_seconds"] = [
      .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
      .milliseconds(2500), .seconds(10), .seconds(60),
    ]
    self.factory = factory
    queued = CoreMetrics.Gauge(label: "agfas_queue_depth", factory: factory)
    running = CoreMetrics.Gauge(label: "agfas_checks_running", factory: factory)
    batchFaces = CoreMetrics.Recorder(label: "agfas_batch_faces", aggregate: true, factory: factory)
    facesPerSecond = CoreMetrics.Gauge(label: "agfas_faces_per_second", factory: factory)
    facesDone = CoreMetrics.Counter(label: "agfas_faces_total", factory: factory)
    modelLoadSeconds = CoreMetrics.Gauge(label: "agfas_model_load_seconds", factory: factory)
  }

  /// Counts a request by its route template (`/v1/checks/{id}`, so ids do not explode the
  /// label space), method and status.
  func request(route: String, method: String, status: Int, seconds: Double) {
    let dimensions = [("route", route), ("method", method), ("status", String(status))]
    CoreMetrics.Counter(label: "agfas_http_requests_total", dimensions: dimensions, factory: factory).increment()
    CoreMetrics.Timer(label: "agfas_http_request_duration_seconds", dimensions: dimensions, factory: factory)
      .recordNanoseconds(Int64(seconds * 1e9))
  }

  func text() -> String { registry.emitToString() }
}
