import AGFASCheck
import AGFASImage
import Foundation
import XCTest

@testable import AGFASServe

/// The API of `agfas serve` against a server in the test process: every route, the answers
/// checked against the committed OpenAPI document, and the results against the pipeline run
/// directly on the same photo.
final class ServeAPITests: XCTestCase {
  static let schema = try! OpenAPISchema(data: Data(PackageResources.openapi_json))

  /// Asserts `reply` is documented for the route and, when JSON, matches the schema.
  func assertDocumented(
    _ reply: ServeTestServer.Reply, _ path: String, _ method: String, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertTrue(
      Self.schema.documents(path: path, method: method, status: reply.status),
      "\(method.uppercased()) \(path) answered \(reply.status), which openapi.json does not list", file: file,
      line: line)
    if let schema = Self.schema.responseSchema(path: path, method: method, status: reply.status) {
      let value = try? JSONSerialization.jsonObject(with: reply.body)
      XCTAssertEqual(Self.schema.violations(value, schema), [], file: file, line: line)
    }
  }

  func testACheckFromUploadToImagesEqualsThePipelineRunDirectly() async throws {
    let server = try ServeTestServer(oanet: true)
    try await server.start()
    defer { server.removeState() }
    let photo = try Data(contentsOf: URL(fileURLWithPath: ServeTestServer.astronaut))

    let health = try await server.request(.GET, "/healthz")
    XCTAssertEqual(health.status, 200)
    let posted = try await server.request(.POST, "/v1/checks", body: photo, headers: [("Content-Type", "image/png")])
    XCTAssertEqual(posted.status, 202, posted.message)
    assertDocumented(posted, "/v1/checks", "post")
    let id = try XCTUnwrap(posted.json["id"] as? String)
    XCTAssertEqual(posted.headers.first(name: "Location"), "/v1/checks/\(id)")
    XCTAssertNotNil(posted.headers.first(name: "X-Request-Id"))
    XCTAssertEqual(posted.json["status"] as? String, "queued")

    let done = try await server.request(.GET, "/v1/checks/\(id)?wait=60")
    XCTAssertEqual(done.status, 200)
    assertDocumented(done, "/v1/checks/{id}", "get")
    XCTAssertEqual(done.json["status"] as? String, "done", "\(done.json)")
    let faces = try XCTUnwrap(done.json["faces"] as? [[String: Any]])
    XCTAssertEqual(faces.count, 1)

    // The same photo through the pipeline in this process.
    let direct = try ServeTestServer.loadModels(oanet: true).check(
      try Image(contentsOfFile: ServeTestServer.astronaut))
    XCTAssertEqual(direct.count, 1)
    let face = faces[0]
    let expected = FaceResult(direct[0])
    XCTAssertEqual(face["p_live"] as! Double, expected.pLive!, accuracy: 1e-6)
    XCTAssertEqual(face["label"] as? String, expected.label)
    XCTAssertEqual(face["box"] as! [Double], expected.box)
    let cue = face["cue"] as! [String: Double]
    XCTAssertEqual(cue["mean_abs"]!, expected.cue.meanAbs, accuracy: 1e-9)
    XCTAssertEqual(cue["p95"]!, expected.cue.p95, accuracy: 1e-9)

    let images = face["images"] as! [String: String]
    for (name, image) in [
      ("aligned", direct[0].aligned), ("reconstruction", direct[0].reconstruction),
      ("cue", try direct[0].cue.heatMap()),
    ] {
      let reply = try await server.request(.GET, images[name]!)
      XCTAssertEqual(reply.status, 200, name)
      XCTAssertEqual(reply.headers.first(name: "Content-Type"), "image/png")
      XCTAssertEqual(try Image(decoding: [UInt8](reply.body)), image, name)
    }

    let metrics = try await server.request(.GET, "/metrics")
    let text = String(decoding: metrics.body, as: UTF8.self)
    for name in [
      "agfas_http_requests_total", "agfas_http_request_duration_seconds", "agfas_queue_depth", "agfas_batch_faces",
      "agfas_faces_per_second", "agfas_model_load_seconds", "agfas_faces_total",
    ] {
      XCTAssertTrue(text.contains(name), "\(name) missing from /metrics")
    }
    XCTAssertTrue(text.contains("route=\"/v1/checks/{id}\""), "routes are counted by template")
    let ready = try await server.request(.GET, "/readyz")
    XCTAssertEqual(ready.status, 200)
    let openapi = try await server.request(.GET, "/openapi.json")
    XCTAssertEqual(openapi.body, Data(PackageResources.openapi_json))

    // Deleting a finished check removes it and its images.
    let deleted = try await server.request(.DELETE, "/v1/checks/\(id)")
    XCTAssertEqual(deleted.status, 204)
    let gone = try await server.request(.GET, "/v1/checks/\(id)")
    XCTAssertEqual(gone.status, 404)
    XCTAssertFalse(FileManager.default.fileExists(atPath: server.state.appendingPathComponent("checks/\(id)").path))
    try await server.stop()
  }

  func testFacesBatchedTogetherEqualFacesRunOneAtATimeButForRounding() async throws {
    // The models are held back until all four photos are queued, so they go in one DFG call.
    let gate = DispatchSemaphore(value: 0)
    let server = try ServeTestServer(oanet: true, gate: gate) { $0.batch = 4 }
    try await server.start()
    defer { server.removeState() }
    let photos = try ServeRestartTests.photos()
    var ids: [String] = []
    for photo in photos {
      let reply = try await server.request(.POST, "/v1/checks", body: photo, headers: [("Content-Type", "image/png")])
      ids.append(reply.json["id"] as! String)
    }
    gate.signal()
    let batched = try await ServeRestartTests.results(server.client, ids)
    let metrics = String(decoding: try await server.request(.GET, "/metrics").body, as: UTF8.self)
    let sizes = metrics.split(separator: "\n").filter {
      $0.hasPrefix("agfas_batch_faces_sum") || $0.hasPrefix("agfas_batch_faces_count")
    }
    XCTAssertTrue(
      sizes.contains { $0.hasPrefix("agfas_batch_faces_count") && $0.hasSuffix(" 1") },
      "one DFG call for the four faces: \(sizes)")
    try await server.stop()
    let models = try ServeTestServer.loadModels(oanet: true)
    var alone: [String] = []
    for photo in photos {
      let face = try models.check(try Image(decoding: [UInt8](photo)))[0]
      var line = String(
        decoding: try JSONSerialization.data(
          withJSONObject: try JSONSerialization.jsonObject(with: try JSONEncoder().encode(FaceResult(face))),
          options: .sortedKeys), as: UTF8.self)
      for image in [face.aligned, try face.cue.heatMap(), face.reconstruction] {
        line += " " + Data(try image.pngData()).base64EncodedString()
      }
      alone.append(line)
    }
    ServeRestartTests.assertNearlySame(batched, alone)
  }

  func testFinishedChecksAreDeletedWhenTheirRetentionEnds() async throws {
    let server = try ServeTestServer { $0.retainSeconds = 2 }
    try await server.start()
    defer { server.removeState() }
    let photo = try Data(contentsOf: URL(fileURLWithPath: ServeTestServer.astronaut))
    let posted = try await server.request(.POST, "/v1/checks", body: photo, headers: [("Content-Type", "image/png")])
    let id = posted.json["id"] as! String
    let done = try await server.request(.GET, "/v1/checks/\(id)?wait=60")
    XCTAssertEqual(done.json["status"] as? String, "done")
    let finished = try XCTUnwrap(ISO8601DateFormatter().date(from: done.json["finished_at"] as! String))
    let expires = try XCTUnwrap(ISO8601DateFormatter().date(from: done.json["expires_at"] as! String))
    XCTAssertEqual(expires.timeIntervalSince(finished), 2, accuracy: 1)
    var status = 200
    for _ in 0..<100 where status == 200 {
      try await Task.sleep(for: .milliseconds(100))
      status = try await server.request(.GET, "/v1/checks/\(id)").status
    }
    XCTAssertEqual(status, 404, "still there 10 s after its retention of 2 s")
    XCTAssertFalse(FileManager.default.fileExists(atPath: server.state.appendingPathComponent("checks/\(id)").path))
    try await server.stop()
  }

  func testPredictGivesOANetsScoreAtOnce() async throws {
    let server = try ServeTestServer(oanet: true)
    try await server.start()
    defer { server.removeState() }
    let fixtures = ServeTestServer.oanetFixtures
    let face = try Data(contentsOf: fixtures.appendingPathComponent("face0.png"))
    let reconstruction = try Data(contentsOf: fixtures.appendingPathComponent("rec0.png"))
    let (body, type) = ServeTestServer.form([
      ("face", face), ("reconstruction", reconstruction),
    ])
    var reply = try await server.request(.POST, "/v1/predict", body: body, headers: [("Content-Type", type)])
    // The models load in the background; the first answers may be 503 with Retry-After.
    for _ in 0..<100 where reply.status == 503 {
      XCTAssertNotNil(reply.headers.first(name: "Retry-After"))
      try await Task.sleep(for: .milliseconds(100))
      reply = try await server.request(.POST, "/v1/predict", body: body, headers: [("Content-Type", type)])
    }
    XCTAssertEqual(reply.status, 200, reply.message)
    assertDocumented(reply, "/v1/predict", "post")
    let models = try ServeTestServer.loadModels(oanet: true)
    let expected = try models.oanet!.predict(
      face: try Image(decoding: [UInt8](face)).rgb(), reconstruction: try Image(decoding: [UInt8](reconstruction)).rgb()
    )
    XCTAssertEqual(reply.json["p_live"] as! Double, Double(expected.pLive), accuracy: 1e-6)

    // Different sizes are the client's mistake, said plainly.
    let small = try Image(width: 8, height: 8, channels: 3).pngData()
    let (mismatched, type2) = ServeTestServer.form([
      ("face", face), ("reconstruction", Data(small)),
    ])
    let refused = try await server.request(.POST, "/v1/predict", body: mismatched, headers: [("Content-Type", type2)])
    XCTAssertEqual(refused.status, 422, refused.message)
    assertDocumented(refused, "/v1/predict", "post")
    try await server.stop()
  }

  func testPredictWithoutOANetIs501() async throws {
    let server = try ServeTestServer(oanet: false)
    try await server.start()
    defer { server.removeState() }
    let png = try Data(Image(width: 16, height: 16, channels: 3).pngData())
    let (body, type) = ServeTestServer.form([("face", png), ("reconstruction", png)])
    var reply = try await server.request(.POST, "/v1/predict", body: body, headers: [("Content-Type", type)])
    for _ in 0..<100 where reply.status == 503 {
      try await Task.sleep(for: .milliseconds(100))
      reply = try await server.request(.POST, "/v1/predict", body: body, headers: [("Content-Type", type)])
    }
    XCTAssertEqual(reply.status, 501)
    XCTAssertTrue(reply.message.contains("--oanet"), reply.message)
    assertDocumented(reply, "/v1/predict", "post")
    try await server.stop()
  }
}
