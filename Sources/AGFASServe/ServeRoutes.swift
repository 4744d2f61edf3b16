import AGFASImage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// The HTTP API of docs/serve.md and openapi.json.
struct ServeRoutes: Sendable {
  let configuration: ServeConfiguration
  let store: CheckStore
  let status: WorkerStatus
  let metrics: ServeMetrics
  let worker: CheckWorker
  /// Uploads read and decoded at once (the rest wait unread, so memory stays bounded).
  let uploads = AsyncLimiter(4)
  /// One OA-Net call at a time: it bounds memory, and the worker has the other core.
  let oanetCalls = AsyncLimiter(1)

  var upload: ImageUpload { ImageUpload(maxBodyBytes: configuration.maxBodyBytes, limits: configuration.imageLimits) }

  func router() -> Router<ServeContext> {
    let router = Router(context: ServeContext.self)
    router.add(middleware: AccessLogMiddleware(metrics: metrics))
    router.get("/healthz") { _, _ in json(["status": "ok"]) }
    router.get("/readyz") { _, _ in try ready() }
    router.get("/metrics") { _, _ in
      Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
        body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
    }
    router.get("/openapi.json") { _, _ in
      Response(
        status: .ok, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_json)))
    }
    let v1 = router.group("v1").add(middleware: AuthMiddleware(keys: configuration.apiKeys))
    v1.post("checks") { request, context in try await accept(request, context) }
    v1.get("checks/{id}") { request, context in try await show(request, context) }
    v1.delete("checks/{id}") { _, context in try await delete(context) }
    v1.get("checks/{id}/faces/{face}/{image}") { _, context in try await image(context) }
    v1.post("predict") { request, context in try await predict(request, context) }
    return router
  }

  func ready() throws -> Response {
    if status.ready { return json(["status": "ready"]) }
    if let failure = status.loadFailure {
      throw APIError(.serviceUnavailable, "the models failed to load: \(failure)")
    }
    throw APIError.retryLater(.serviceUnavailable, "loading the models", seconds: 5)
  }

  func accept(_ request: Request, _ context: ServeContext) async throws -> Response {
    let bytes = try await uploads.run {
      let bytes = try await withDeadline(request) { try await upload.parts(["image"], of: request)["image"]! }
      // Decoded here once so a bad image is a 4xx now, not a failed check later.
      _ = try await onThread { try upload.decode(bytes, name: "image") }
      return bytes
    }
    let client = context.client ?? "anonymous"
    let record: CheckRecord
    do {
      record = try await store.accept(
        photo: bytes, client: client, clientLimit: configuration.perClientLimit, queueLimit: configuration.queueLimit)
    } catch CheckStore.Refusal.clientFull(let queued) {
      throw APIError.retryLater(
        .tooManyRequests, "this API key has \(queued) checks queued or running, its limit",
        seconds: status.estimatedSeconds(checks: 1))
    } catch CheckStore.Refusal.queueFull(let queued) {
      throw APIError.retryLater(
        .serviceUnavailable, "the queue is full (\(queued) checks)", seconds: status.estimatedSeconds(checks: 1))
    }
    worker.notify()
    let view = try CheckView(
      record, position: try await store.position(of: record), progress: nil, retain: configuration.retainSeconds)
    var response = try json(view, status: .accepted)
    response.headers[.location] = "/v1/checks/\(record.id)"
    return response
  }

  func record(_ context: ServeContext) async throws -> CheckRecord {
    let id = try context.parameters.require("id")
    // Another client's check is "not found" too: ids are not secrets to hide behind 403.
    guard CheckStore.isID(id), let record = try await store.check(id), record.client == context.client else {
      throw APIError(.notFound, "no check \(CheckStore.isID(id) ? id : "with that id")")
    }
    return record
  }

  func show(_ request: Request, _ context: ServeContext) async throws -> Response {
    var record = try await record(context)
    if let text = request.uri.queryParameters["wait"] {
      guard let wait = Double(String(text)), wait.isFinite, wait >= 0 else {
        throw APIError(.badRequest, "wait must be a number of seconds >= 0")
      }
      let deadline = ContinuousClock.now + .milliseconds(Int64(min(wait, configuration.maxWaitSeconds) * 1000))
      while !record.state.isFinished, ContinuousClock.now < deadline, !Task.isShuttingDownGracefully,
        !Task.isCancelled
      {
        try? await Task.sleep(for: .milliseconds(100))
        guard let latest = try await store.check(record.id) else { throw APIError(.notFound, "check deleted") }
        record = latest
      }
    }
    let position = record.state == .queued ? try await store.position(of: record) : nil
    return try json(
      CheckView(record, position: position, progress: status.step(of: record.id), retain: configuration.retainSeconds))
  }

  func delete(_ context: ServeContext) async throws -> Response {
    let record = try await record(context)
    switch try await store.delete(record.id, client: context.client) {
    case .deleted: return Response(status: .noContent)
    case .running: throw APIError(.conflict, "check \(record.id) is running; delete it once it is done")
    case .notFound: throw APIError(.notFound, "no check \(record.id)")
    }
  }

  func image(_ context: ServeContext) async throws -> Response {
    let record = try await record(context)
    let name = try context.parameters.require("image")
    guard let face = Int(try context.parameters.require("face")), face >= 0,
      ["aligned.png", "reconstruction.png", "cue.png"].contains(name)
    else { throw APIError(.notFound, "images are faces/{k}/aligned.png, reconstruction.png and cue.png") }
    guard record.state == .done, (try record.decodedFaces() ?? []).contains(where: { $0.face == face }) else {
      throw APIError(.notFound, "check \(record.id) has no face \(face)\(record.state == .done ? "" : " yet")")
    }
    let path = store.faceImage(of: record.id, face: face, name: String(name.dropLast(4))).path
    guard let data = FileManager.default.contents(atPath: path) else {
      throw APIError(.notFound, "the image was deleted")
    }
    return Response(
      status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  func predict(_ request: Request, _ context: ServeContext) async throws -> Response {
    guard let check = status.check else {
      throw APIError.retryLater(.serviceUnavailable, "loading the models", seconds: 5)
    }
    guard let oanet = check.oanet else {
      throw APIError(.notImplemented, "this server has no OA-Net (start it with --oanet CHECKPOINT)")
    }
    let (face, reconstruction) = try await uploads.run {
      let parts = try await withDeadline(request) { try await upload.parts(["face", "reconstruction"], of: request) }
      return try await onThread {
        (
          try upload.decode(parts["face"]!, name: "face").rgb(),
          try upload.decode(parts["reconstruction"]!, name: "reconstruction").rgb()
        )
      }
    }
    let prediction = try await oanetCalls.run {
      try await onThread {
        do {
          return try oanet.predict(face: face, reconstruction: reconstruction)
        } catch {
          throw APIError(.unprocessableContent, "\(error)")
        }
      }
    }
    return try json(
      PredictionView(
        pLive: Double(prediction.pLive), label: prediction.label, threshold: Double(prediction.threshold)))
  }

  /// Reading a body must finish within the idle timeout's budget: a client that trickles
  /// bytes to hold a connection is cut off with 408.
  func withDeadline<T: Sendable>(_ request: Request, _ body: @escaping @Sendable () async throws -> T) async throws -> T
  {
    let seconds = Double(configuration.idleTimeoutSeconds) * 2
    return try await withThrowingTaskGroup(of: T?.self) { group in
      group.addTask { try await body() }
      group.addTask {
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        return nil
      }
      defer { group.cancelAll() }
      guard let first = try await group.next(), let value = first else {
        throw APIError(.requestTimeout, "the request body took longer than \(Int(seconds)) s to arrive")
      }
      return value
    }
  }
}

func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
  let encoder = JSONEncoder()
  encoder.dateEncodingStrategy = .iso8601
  encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  return Response(
    status: status, headers: [.contentType: "application/json"],
    body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
}

func json(_ value: [String: String]) -> Response {
  (try? json(value, status: .ok)) ?? Response(status: .internalServerError)
}
