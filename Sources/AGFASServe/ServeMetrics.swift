import Foundation
import Prometheus

/// The service's Prometheus metrics, on `/metrics`. A registry of its own (not the process-wide
/// MetricsSystem) so that several servers in one process, as in the tests, count apart.
final class ServeMetrics: Sendable {
  let registry = PrometheusCollectorRegistry()
  let queued: Gauge
  let running: Gauge
  let batchFaces: ValueHistogram
  let facesPerSecond: Gauge
  let facesDone: Counter
  let modelLoadSeconds: Gauge

  init() {
    queued = registry.makeGauge(
      descriptor: .init(namespace: "agfas", metricName: "queue_depth", unitName: "", helpText: "Checks waiting."),
      labels: [])
    running = registry.makeGauge(
      descriptor: .init(
        namespace: "agfas", metricName: "checks_running", unitName: "", helpText: "Checks on the worker."),
      labels: [])
    batchFaces = registry.makeValueHistogram(
      descriptor: .init(namespace: "agfas", metricName: "batch_faces", unitName: "", helpText: "Faces per DFG call."),
      labels: [], buckets: [1, 2, 4, 8, 16, 32, 64])
    facesPerSecond = registry.makeGauge(
      descriptor: .init(
        namespace: "agfas", metricName: "faces_per_second", unitName: "",
        helpText: "Faces reconstructed per second in the last batch."),
      labels: [])
    facesDone = registry.makeCounter(
      descriptor: .init(namespace: "agfas", metricName: "faces", unitName: "total", helpText: "Faces checked."),
      labels: [])
    modelLoadSeconds = registry.makeGauge(
      descriptor: .init(
        namespace: "agfas", metricName: "model_load", unitName: "seconds", helpText: "Time to load the models."),
      labels: [])
  }

  /// Counts a request by its route template (`/v1/checks/{id}`, so ids do not explode the
  /// label space), method and status.
  func request(route: String, method: String, status: Int, seconds: Double) {
    let labels = [("route", route), ("method", method), ("status", String(status))]
    registry.makeCounter(
      descriptor: .init(
        namespace: "agfas", subsystem: "http", metricName: "requests", unitName: "total", helpText: "HTTP requests."),
      labels: labels
    ).increment()
    registry.makeDurationHistogram(
      descriptor: .init(
        namespace: "agfas", subsystem: "http", metricName: "request_duration", unitName: "seconds",
        helpText: "HTTP request latency."),
      labels: labels,
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10, 60].map { Duration.milliseconds(Int64($0 * 1000)) }
    ).record(Duration.nanoseconds(Int64(seconds * 1e9)))
  }

  func text() -> String { registry.emitToString() }
}
