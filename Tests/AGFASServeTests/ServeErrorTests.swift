import AGFASImage
import Foundation
import XCTest

@testable import AGFASBench
@testable import AGFASServe

/// Every refusal of the API: its status, its documented JSON body, `Retry-After` where the
/// client should come back, and never a server path in what the client reads.
final class ServeErrorTests: XCTestCase {
  let schema = ServeAPITests.schema
  var photo: Data { try! Data(contentsOf: URL(fileURLWithPath: ServeTestServer.astronaut)) }

  func assertRefused(
    _ reply: ServeTestServer.Reply, _ status: Int, _ words: String, path: String = "/v1/checks",
    method: String = "post", server: ServeTestServer, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(reply.status, status, reply.message, file: file, line: line)
    XCTAssertTrue(
      reply.message.contains(words), "\"\(reply.message)\" does not say \"\(words)\"", file: file, line: line)
    XCTAssertFalse(
      reply.message.contains(server.state.path), "a server path in \(reply.message)", file: file, line: line)
    XCTAssertTrue(
      schema.documents(path: path, method: method, status: status), "\(status) undocumented", file: file, line: line)
    if let s = schema.responseSchema(path: path, method: method, status: status) {
      XCTAssertEqual(
        schema.violations(try? JSONSerialization.jsonObject(with: reply.body), s), [], file: file, line: line)
    }
  }

  func testBadUploadsAreRefusedWithTheirReason() async throws {
    let server = try ServeTestServer { configuration in
      configuration.maxBodyBytes = 400_000
      configuration.imageLimits = ImageLimits(maxPixels: 200_000)
    }
    try await server.start()
    defer { server.removeState() }
    let small = try Data(Image(width: 64, height: 64, channels: 3, value: 90).pngData())
    func post(_ body: Data, _ type: String?) async throws -> ServeTestServer.Reply {
      try await server.request(.POST, "/v1/checks", body: body, headers: type.map { [("Content-Type", $0)] } ?? [])
    }
    assertRefused(try await post(small, "text/plain"), 415, "unsupported content type", server: server)
    assertRefused(try await post(small, nil), 415, "unsupported content type", server: server)
    assertRefused(try await post(photo, "image/png"), 413, "over this server's limit of 400000 bytes", server: server)
    let big = try Data(Image(width: 500, height: 500, channels: 3, value: 7).pngData())
    assertRefused(try await post(big, "image/png"), 413, "500x500 pixels, over this server's limit", server: server)
    assertRefused(try await post(small.prefix(100), "image/png"), 422, "corrupt or truncated PNG", server: server)
    assertRefused(try await post(Data("GIF89a....".utf8), "image/png"), 415, "GIF", server: server)
    assertRefused(try await post(Data(), "image/png"), 422, "empty", server: server)

    let (form, type) = ServeTestServer.form([("image", small)])
    assertRefused(try await post(form, "multipart/form-data"), 400, "boundary", server: server)
    assertRefused(try await post(form.prefix(form.count - 30), type), 400, "cut short", server: server)
    let (other, otherType) = ServeTestServer.form([("photo", small)])
    assertRefused(try await post(other, otherType), 422, "no part named \"image\"", server: server)
    let accepted = try await post(form, type)
    XCTAssertEqual(accepted.status, 202, "a multipart upload is accepted: \(accepted.message)")

    let path = "/v1/checks/{id}"
    assertRefused(
      try await server.request(.GET, "/v1/checks/0123456789abcdef0123456789abcdef"), 404, "no check", path: path,
      method: "get", server: server)
    assertRefused(
      try await server.request(.GET, "/v1/checks/..%2F..%2Fetc"), 404, "no check", path: path, method: "get",
      server: server)
    let id = accepted.json["id"] as! String
    assertRefused(
      try await server.request(.GET, "/v1/checks/\(id)?wait=soon"), 400, "wait", path: path, method: "get",
      server: server)
    let face = "/v1/checks/{id}/faces/{face}/{image}"
    assertRefused(
      try await server.request(.GET, "/v1/checks/\(id)/faces/0/secret.txt"), 404, "aligned.png", path: face,
      method: "get", server: server)
    try await server.stop()
  }

  func testKeysLetInOnlyTheirClientsAndEachSeesOnlyItsChecks() async throws {
    let (alice, aliceLine) = APIKeys.newKey(name: "alice")
    let (bob, bobLine) = APIKeys.newKey(name: "bob")
    let gate = DispatchSemaphore(value: 0)
    let server = try ServeTestServer(gate: gate) { configuration in
      configuration.apiKeys = try! APIKeys(text: "# clients\n\(aliceLine)\n\(bobLine)\n", source: "test")
      configuration.perClientLimit = 2
      configuration.queueLimit = 3
    }
    try await server.start()
    defer {
      gate.signal()
      server.removeState()
    }
    func post(_ key: String?) async throws -> ServeTestServer.Reply {
      var headers = [("Content-Type", "image/png")]
      if let key { headers.append(("Authorization", "Bearer \(key)")) }
      return try await server.request(.POST, "/v1/checks", body: photo, headers: headers)
    }
    let missing = try await post(nil)
    assertRefused(missing, 401, "send an API key", server: server)
    XCTAssertEqual(missing.headers.first(name: "WWW-Authenticate"), "Bearer")
    assertRefused(try await post("agfas_not-a-key"), 401, "not valid", server: server)

    // The models are held back, so checks stay queued: the per-key limit, then the queue's.
    let first = try await post(alice)
    XCTAssertEqual(first.status, 202)
    XCTAssertEqual(first.json["position"] as? Int, 0)
    let second = try await post(alice)
    XCTAssertEqual(second.json["position"] as? Int, 1)
    let third = try await post(alice)
    assertRefused(third, 429, "its limit", server: server)
    XCTAssertNotNil(third.headers.first(name: "Retry-After").flatMap(Int.init))
    let bobs = try await post(bob)
    XCTAssertEqual(bobs.status, 202)
    let full = try await post(bob)
    assertRefused(full, 503, "queue is full", server: server)
    XCTAssertNotNil(full.headers.first(name: "Retry-After").flatMap(Int.init))
    let notReady = try await server.request(.GET, "/readyz")
    XCTAssertEqual(notReady.status, 503)
    let health = try await server.request(.GET, "/healthz")
    XCTAssertEqual(health.status, 200)

    // Bob cannot see or delete Alice's check; Alice cancels it while it is queued.
    let id = first.json["id"] as! String
    let path = "/v1/checks/\(id)"
    let peek = try await server.request(.GET, path, headers: [("Authorization", "Bearer \(bob)")])
    XCTAssertEqual(peek.status, 404)
    let steal = try await server.request(.DELETE, path, headers: [("Authorization", "Bearer \(bob)")])
    XCTAssertEqual(steal.status, 404)
    let mine = try await server.request(.GET, path, headers: [("Authorization", "Bearer \(alice)")])
    XCTAssertEqual(mine.json["status"] as? String, "queued")
    let cancelled = try await server.request(.DELETE, path, headers: [("Authorization", "Bearer \(alice)")])
    XCTAssertEqual(cancelled.status, 204)
    XCTAssertFalse(FileManager.default.fileExists(atPath: server.state.appendingPathComponent("checks/\(id)").path))
    let next = try await server.request(
      .GET, "/v1/checks/\(second.json["id"] as! String)", headers: [("Authorization", "Bearer \(alice)")])
    XCTAssertEqual(next.json["position"] as? Int, 0, "the cancelled check no longer counts")
    gate.signal()
    try await server.stop()
  }

  /// A small run of the benchmark's malformed requests (every kind, slow senders included):
  /// each is answered with a 4xx or closed; none hangs, none is a 500; the server goes on.
  func testMalformedRequestsAreAnsweredOrClosedNeverHungOr500() async throws {
    let (key, line) = APIKeys.newKey(name: "tester")
    let server = try ServeTestServer { configuration in
      configuration.apiKeys = try! APIKeys(text: line, source: "test")
      configuration.idleTimeoutSeconds = 1
      configuration.queueLimit = 8
    }
    try await server.start()
    defer { server.removeState() }
    let target = ServeBenchmark.Target(port: server.port, pid: getpid(), key: key)
    let photo = [UInt8](self.photo)
    let rows = await Task.detached { ServeBenchmark.abuse(target, count: 96, photo: photo, parallel: 8, slow: 4) }.value
    XCTAssertEqual(rows.count, 17)
    for row in rows {
      XCTAssertEqual(row.hung, 0, "\(row.kind): \(row.outcomes)")
      XCTAssertEqual(row.serverErrors, 0, "\(row.kind): \(row.outcomes)")
      XCTAssertNil(row.outcomes["refused"], "\(row.kind): the server stopped listening")
    }
    let byKind = Dictionary(uniqueKeysWithValues: rows.map { ($0.kind, $0.outcomes) })
    XCTAssertEqual(byKind["truncated body"], ["400": 6])
    XCTAssertEqual(byKind["pixel bomb header"], ["413": 6])
    // A slow sender is cut off by the body deadline (408) or, between two bytes, by the idle
    // timeout (closed): both end it.
    let slow = byKind["slow sender"] ?? [:]
    XCTAssertEqual(slow.values.reduce(0, +), 4)
    XCTAssertTrue(Set(slow.keys).isSubset(of: ["408", "closed"]), "\(slow)")
    XCTAssertEqual(byKind["wrong key"], ["401": 6])
    let health = try await server.request(.GET, "/healthz")
    XCTAssertEqual(health.status, 200)
    try await server.stop()
  }

  func testSettingsThatWouldExposeTheServiceAreRefused() throws {
    var configuration = ServeConfiguration(stateFolder: "/nonexistent")
    configuration.host = "0.0.0.0"
    XCTAssertThrowsError(try configuration.validate()) {
      XCTAssertTrue("\($0)".contains("--api-keys"), "\($0)")
    }
    configuration.openToAll = true
    XCTAssertNoThrow(try configuration.validate())
    configuration.batch = 0
    XCTAssertThrowsError(try configuration.validate())
    XCTAssertThrowsError(try APIKeys(text: "agfas_plainkey\n", source: "keys.txt")) {
      XCTAssertTrue("\($0)".contains("keys.txt line 1"), "\($0)")
    }
    XCTAssertThrowsError(try APIKeys(text: "# nothing\n", source: "keys.txt"))
    XCTAssertEqual(parseDuration("24h"), 86400)
    XCTAssertEqual(parseDuration("90s"), 90)
    XCTAssertNil(parseDuration("-1h"))
    XCTAssertNil(parseDuration("soon"))
  }
}
