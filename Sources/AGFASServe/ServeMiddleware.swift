import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The request context: the client an API key named (nil before authentication).
struct ServeContext: RequestContext {
  var coreContext: CoreRequestContextStorage
  var client: String?

  init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
  }
}

/// One log line and one metrics sample per request, an `X-Request-Id` on every answer, and
/// every failure turned into a JSON error: unexpected errors become a 500 that names only the
/// request id (the details go to the log, never to the client).
struct AccessLogMiddleware: RouterMiddleware {
  typealias Context = ServeContext
  let metrics: ServeMetrics

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    let started = ContinuousClock.now
    var response: Response
    do {
      response = try await next(request, context)
    } catch let error as APIError {
      response = try error.response(from: request, context: context)
    } catch let error as HTTPResponseError {
      // Hummingbird's own (no route: 404, wrong method: 405, a body too large: 413).
      response = try APIError(error.status, error.status.reasonPhrase).response(from: request, context: context)
    } catch {
      context.logger.error("unexpected error", metadata: ["error": "\(error)"])
      response = try APIError(.internalServerError, "internal error; quote request id \(context.id)")
        .response(from: request, context: context)
    }
    response.headers[HTTPField.Name("X-Request-Id")!] = context.id
    let seconds = (ContinuousClock.now - started) / .seconds(1)
    let route = context.endpointPath ?? "unmatched"
    metrics.request(route: route, method: request.method.rawValue, status: response.status.code, seconds: seconds)
    context.logger.info(
      "request",
      metadata: [
        "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "route": "\(route)",
        "status": "\(response.status.code)", "ms": "\(String(format: "%.1f", seconds * 1000))",
      ])
    return response
  }
}

/// `Authorization: Bearer <key>` against the hashed keys; without keys configured every
/// request is the client "anonymous".
struct AuthMiddleware: RouterMiddleware {
  typealias Context = ServeContext
  let keys: APIKeys?

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    var context = context
    guard let keys else {
      context.client = "anonymous"
      return try await next(request, context)
    }
    let header = request.headers[.authorization] ?? ""
    let parts = header.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].lowercased() == "bearer",
      let client = keys.client(forKey: String(parts[1]).trimmingCharacters(in: .whitespaces))
    else {
      var headers = HTTPFields()
      headers[.wwwAuthenticate] = "Bearer"
      throw APIError(
        .unauthorized, header.isEmpty ? "send an API key: Authorization: Bearer <key>" : "the API key is not valid",
        headers: headers)
    }
    context.client = client
    context.logger[metadataKey: "client"] = "\(client)"
    return try await next(request, context)
  }
}
