import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An answer other than success, as JSON `{"error": {"status": 413, "message": "..."}}`.
/// Messages are written for the client: they never carry a path, a stack or a type name.
struct APIError: HTTPResponseError {
  var status: HTTPResponse.Status
  var message: String
  var headers: HTTPFields = [:]

  init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
    self.status = status
    self.message = message
    self.headers = headers
  }

  static func retryLater(_ status: HTTPResponse.Status, _ message: String, seconds: Int) -> APIError {
    var headers = HTTPFields()
    headers[.retryAfter] = String(max(1, seconds))
    return APIError(status, message, headers: headers)
  }

  func response(from request: Request, context: some RequestContext) throws -> Response {
    var headers = self.headers
    headers[.contentType] = "application/json"
    return Response(
      status: status, headers: headers, body: .init(byteBuffer: Self.body(status: status, message: message)))
  }

  static func body(status: HTTPResponse.Status, message: String) -> ByteBuffer {
    struct Body: Encodable {
      struct Detail: Encodable {
        var status: Int
        var message: String
      }
      var error: Detail
    }
    let data = (try? JSONEncoder().encode(Body(error: .init(status: status.code, message: message)))) ?? Data()
    return ByteBuffer(bytes: data)
  }
}
