import AGFASImage
import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import NIOCore

/// Reads images from request bodies: a raw `image/png` or `image/jpeg` body, or the named
/// parts of a `multipart/form-data` one. The size limit is applied before and while the body
/// is read, the pixel limit from the image header before any pixel is decoded.
struct ImageUpload {
  static let mediaTypes = ["image/png", "image/jpeg", "multipart/form-data"]

  let maxBodyBytes: Int
  let limits: ImageLimits

  /// The body's bytes, refused early when its declared length is over the limit.
  func body(of request: Request) async throws -> ByteBuffer {
    if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
      throw tooLarge(length)
    }
    do {
      return try await request.body.collect(upTo: maxBodyBytes)
    } catch is NIOTooManyBytesError {
      throw tooLarge(nil)
    } catch is CancellationError {
      throw CancellationError()
    } catch {
      // The client closed mid-body, or sent a broken chunked encoding: the parser's words.
      throw APIError(.badRequest, "the request body could not be read: \(error)")
    }
  }

  /// The image parts `names` (a raw body counts as the first name), as bytes.
  func parts(_ names: [String], of request: Request) async throws -> [String: [UInt8]] {
    let type = request.headers[.contentType] ?? ""
    let media = (type.split(separator: ";").first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
      .lowercased()
    switch media {
    case "image/png", "image/jpeg", "image/jpg":
      guard names.count == 1 else {
        throw APIError(
          .unsupportedMediaType,
          "send multipart/form-data with the parts \(names.joined(separator: " and ")), each a PNG or JPEG")
      }
      return [names[0]: Array(buffer: try await body(of: request))]
    case "multipart/form-data":
      guard let boundary = Self.parameter("boundary", in: type) else {
        throw APIError(.badRequest, "multipart/form-data without a boundary parameter")
      }
      let parts = try Self.multipart(try await body(of: request), boundary: boundary)
      var found: [String: [UInt8]] = [:]
      for name in names {
        guard let part = parts[name] else {
          throw APIError(
            .unprocessableContent, "the form has no part named \"\(name)\" (expected: \(names.joined(separator: ", ")))"
          )
        }
        found[name] = part
      }
      return found
    default:
      throw APIError(
        .unsupportedMediaType,
        "unsupported content type \"\(media.isEmpty ? "none" : media)\"; send image/png, image/jpeg or multipart/form-data"
      )
    }
  }

  /// Decodes one uploaded image; `name` says which in errors.
  func decode(_ bytes: [UInt8], name: String) throws -> Image {
    guard !bytes.isEmpty else { throw APIError(.unprocessableContent, "\(name): the image is empty") }
    do {
      return try Image(decoding: bytes, source: name, limits: limits)
    } catch let error as ImageError {
      switch error {
      case .tooLarge(_, let width, let height, let limit):
        throw APIError(
          .contentTooLarge, "\(name): the image is \(width)x\(height) pixels, over this server's limit of \(limit)")
      case .tooLargeForData(_, let width, let height, let bytes, let pixelsPerByte, _):
        throw APIError(
          .contentTooLarge,
          "\(name): the image claims \(width)x\(height) pixels from \(bytes) bytes, over this server's limit of "
            + "\(pixelsPerByte) pixels per byte (a decompression bomb's signature)")
      case .unsupportedFormat:
        throw APIError(.unsupportedMediaType, error.description)
      default:
        throw APIError(.unprocessableContent, error.description)
      }
    }
  }

  func tooLarge(_ length: Int?) -> APIError {
    APIError(
      .contentTooLarge,
      "the body\(length.map { " (\($0) bytes)" } ?? "") is over this server's limit of \(maxBodyBytes) bytes")
  }

  /// `boundary=...` (quoted or not) from a Content-Type value.
  static func parameter(_ name: String, in header: String) -> String? {
    for field in header.split(separator: ";").dropFirst() {
      let pair = field.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      guard pair.count == 2, pair[0].lowercased() == name else { continue }
      let value =
        pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2
        ? String(pair[1].dropFirst().dropLast()) : pair[1]
      return value.isEmpty || value.utf8.count > 70 ? nil : value
    }
    return nil
  }

  /// The parts of a form by name; a body cut short (no closing boundary) is refused.
  static func multipart(_ body: ByteBuffer, boundary: String) throws -> [String: [UInt8]] {
    let parser = MultipartParser(boundary: boundary)
    var parts: [String: [UInt8]] = [:]
    var name: String?
    var current: [UInt8] = []
    var complete = 0
    parser.onHeader = { field, value in
      if field.lowercased() == "content-disposition" { name = parameter("name", in: value) }
    }
    parser.onBody = { buffer in current.append(contentsOf: buffer.readableBytesView) }
    parser.onPartComplete = {
      if let name, parts[name] == nil { parts[name] = current }
      name = nil
      current = []
      complete += 1
    }
    do {
      try parser.execute(body)
    } catch {
      throw APIError(.badRequest, "malformed multipart/form-data body")
    }
    guard complete > 0, Self.endsWithClosingBoundary(body, boundary: boundary) else {
      throw APIError(.badRequest, "the multipart/form-data body is cut short (no closing boundary)")
    }
    return parts
  }

  static func endsWithClosingBoundary(_ body: ByteBuffer, boundary: String) -> Bool {
    let tail = Array("--\(boundary)--".utf8)
    var bytes = Array(body.readableBytesView.suffix(tail.count + 64))
    while let last = bytes.last, last == 13 || last == 10 || last == 32 { bytes.removeLast() }
    return bytes.count >= tail.count && Array(bytes.suffix(tail.count)) == tail
  }
}
