import AGFASCheck
import AGFASImage
import AGFASTestSupport
import Foundation
import XCTest

@testable import AGFASBench
@testable import AGFASServe

/// Nothing accepted is lost: a graceful stop puts running checks back in the queue, and an
/// `agfas serve` killed with SIGKILL mid-batch finishes every check after a restart, with
/// results byte-identical to a run that was never interrupted.
final class ServeRestartTests: XCTestCase {
  /// Many UNet steps, so a batch lasts long enough to be interrupted.
  static let slow = LivenessCheck.Options(size: 64, seed: 3, reconstruction: .init(strength: 999, steps: 80))

  /// Four different photos of one face: the astronaut, mirrored, and both moved right.
  static func photos() throws -> [Data] {
    let astronaut = try Image(contentsOfFile: ServeTestServer.astronaut).rgb()
    func build(_ mirrored: Bool, _ shift: Int) throws -> Data {
      let (w, h) = (astronaut.width + shift, astronaut.height)
      var pixels = [UInt8](repeating: 0, count: w * h * 3)
      for y in 0..<h {
        for x in 0..<astronaut.width {
          let sx = mirrored ? astronaut.width - 1 - x : x
          for c in 0..<3 { pixels[(y * w + x + shift) * 3 + c] = astronaut[x: sx, y: y, channel: c] }
        }
      }
      return Data(try Image(width: w, height: h, channels: 3, pixels: pixels).pngData())
    }
    return [try build(false, 0), try build(true, 0), try build(false, 40), try build(true, 40)]
  }

  /// Faces JSON and every image of each finished check, for byte comparison.
  static func results(_ server: APIClient, _ ids: [String], key: String? = nil) async throws -> [String] {
    var all: [String] = []
    let headers = key.map { [("Authorization", "Bearer \($0)")] } ?? []
    for id in ids {
      let reply = try await server.request(.GET, "/v1/checks/\(id)?wait=60", headers: headers)
      XCTAssertEqual(reply.json["status"] as? String, "done", "\(reply.json)")
      let faces = reply.json["faces"] as? [[String: Any]] ?? []
      XCTAssertFalse(faces.isEmpty)
      for face in faces {
        var line = String(
          decoding: try JSONSerialization.data(
            withJSONObject: face.filter { $0.key != "images" }, options: .sortedKeys),
          as: UTF8.self)
        for (_, path) in (face["images"] as! [String: String]).sorted(by: { $0.key < $1.key }) {
          let image = try await server.request(.GET, path, headers: headers)
          line += " " + image.body.base64EncodedString()
        }
        all.append(line)
      }
    }
    return all
  }

  /// Results equal byte for byte; a difference is reported as which face and which part.
  static func assertSame(_ a: [String], _ b: [String], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    let parts = ["faces JSON", "aligned.png", "cue.png", "reconstruction.png"]
    for (k, (x, y)) in zip(a, b).enumerated() where x != y {
      for (i, (p, q)) in zip(x.split(separator: " "), y.split(separator: " ")).enumerated() where p != q {
        XCTFail("face \(k): \(parts[i]) differs\(i == 0 ? ": \(p) vs \(q)" : "")", file: file, line: line)
      }
    }
  }

  /// Results equal but for float rounding: the same faces, boxes and landmarks, cue statistics
  /// and P(live) within `tolerance`, and images whose pixels differ by at most 2 levels on at
  /// most 1% of them. oneDNN's kernels for a batch of 4 and of 1 may add in other orders
  /// (seen at AVX2: a few pixels of a reconstruction one level apart).
  static func assertNearlySame(
    _ a: [String], _ b: [String], tolerance: Double = 0.05, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (k, (x, y)) in zip(a, b).enumerated() {
      let (p, q) = (x.split(separator: " "), y.split(separator: " "))
      let (u, v) = (
        try! JSONSerialization.jsonObject(with: Data(p[0].utf8)) as! [String: Any],
        try! JSONSerialization.jsonObject(with: Data(q[0].utf8)) as! [String: Any]
      )
      XCTAssertEqual(u["box"] as? [Double], v["box"] as? [Double], "face \(k)", file: file, line: line)
      XCTAssertEqual(u["label"] as? String, v["label"] as? String, "face \(k)", file: file, line: line)
      if let pu = u["p_live"] as? Double, let pv = v["p_live"] as? Double {
        XCTAssertEqual(pu, pv, accuracy: 1e-3, "face \(k) p_live", file: file, line: line)
      }
      let (cu, cv) = (u["cue"] as! [String: Double], v["cue"] as! [String: Double])
      for key in cu.keys {
        XCTAssertEqual(cu[key]!, cv[key]!, accuracy: tolerance, "face \(k) cue \(key)", file: file, line: line)
      }
      for (i, (m, n)) in zip(p.dropFirst(), q.dropFirst()).enumerated() {
        let first = try! Image(decoding: [UInt8](Data(base64Encoded: String(m))!))
        let second = try! Image(decoding: [UInt8](Data(base64Encoded: String(n))!))
        XCTAssertEqual(first.pixels.count, second.pixels.count, file: file, line: line)
        let diffs = zip(first.pixels, second.pixels).map { abs(Int($0) - Int($1)) }
        XCTAssertLessThanOrEqual(diffs.max() ?? 0, 2, "face \(k) image \(i)", file: file, line: line)
        XCTAssertLessThanOrEqual(
          diffs.filter { $0 > 0 }.count, diffs.count / 100, "face \(k) image \(i)", file: file, line: line)
      }
    }
  }

  func testGracefulStopPutsTheRunningCheckBackAndARestartFinishesIt() async throws {
    let state = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-serve-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: state) }
    let photo = try Self.photos()[0]
    let first = try ServeTestServer(state: state) { $0.check = Self.slow }
    try await first.start()
    let posted = try await first.request(.POST, "/v1/checks", body: photo, headers: [("Content-Type", "image/png")])
    let id = try XCTUnwrap(posted.json["id"] as? String)
    var running = false
    for _ in 0..<600 where !running {
      let reply = try await first.request(.GET, "/v1/checks/\(id)")
      running = reply.json["status"] as? String == "running" && (reply.json["step"] as? Int ?? 0) > 0
      if !running { try await Task.sleep(for: .milliseconds(10)) }
    }
    XCTAssertTrue(running, "the check never showed a running step")
    let busy = try await first.request(.DELETE, "/v1/checks/\(id)")
    XCTAssertEqual(busy.status, 409, "a running check cannot be deleted")
    XCTAssertTrue(busy.message.contains("running"), busy.message)
    try await first.stop()
    let record = try await CheckStore(folder: state.path).check(id)
    XCTAssertEqual(record?.state, .queued, "a graceful stop puts the running check back")
    XCTAssertEqual(record?.attempts, 0, "an attempt cut short by a stop does not count")

    let second = try ServeTestServer(state: state) { $0.check = Self.slow }
    try await second.start()
    let restarted = try await Self.results(second.client, [id])
    try await second.stop()
    let fresh = try ServeTestServer { $0.check = Self.slow }
    try await fresh.start()
    defer { fresh.removeState() }
    let again = try await fresh.request(.POST, "/v1/checks", body: photo, headers: [("Content-Type", "image/png")])
    let uninterrupted = try await Self.results(fresh.client, [again.json["id"] as! String])
    try await fresh.stop()
    Self.assertSame(restarted, uninterrupted)
  }

  func testAServerKilledMidBatchFinishesEveryCheckAfterARestart() async throws {
    try ServeTestServer.requireMaterial()
    let state = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-serve-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: state) }
    let photos = try Self.photos()
    let (key, line) = APIKeys.newKey(name: "tester")
    try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
    let keys = state.appendingPathComponent("keys.txt")
    try line.write(to: keys, atomically: true, encoding: .utf8)

    let (first, firstClient) = try serveProcess(state: state.appendingPathComponent("state"), keys: keys, key: key)
    var ids: [String] = []
    for photo in photos {
      let reply = try await firstClient.request(
        .POST, "/v1/checks", body: photo, headers: [("Content-Type", "image/png"), ("Authorization", "Bearer \(key)")])
      XCTAssertEqual(reply.status, 202, reply.message)
      ids.append(reply.json["id"] as! String)
    }
    // Kill it while the first batch is between UNet steps.
    var midBatch = false
    for _ in 0..<1000 where !midBatch {
      let reply = try await firstClient.request(
        .GET, "/v1/checks/\(ids[0])", headers: [("Authorization", "Bearer \(key)")])
      midBatch = reply.json["status"] as? String == "running" && (reply.json["step"] as? Int ?? 0) > 2
      if !midBatch { try await Task.sleep(for: .milliseconds(10)) }
    }
    XCTAssertTrue(midBatch, "never saw the first batch running")
    first.kill()

    let (second, secondClient) = try serveProcess(state: state.appendingPathComponent("state"), keys: keys, key: key)
    let restarted = try await Self.results(secondClient, ids, key: key)
    second.kill()
    XCTAssertTrue(second.output.contains("checks interrupted by the last stop"), second.output)

    // The same photos through a server that is never interrupted.
    let (fresh, freshClient) = try serveProcess(state: state.appendingPathComponent("fresh"), keys: keys, key: key)
    var freshIDs: [String] = []
    for photo in photos {
      let reply = try await freshClient.request(
        .POST, "/v1/checks", body: photo, headers: [("Content-Type", "image/png"), ("Authorization", "Bearer \(key)")])
      freshIDs.append(reply.json["id"] as! String)
    }
    let uninterrupted = try await Self.results(freshClient, freshIDs, key: key)
    fresh.kill()
    XCTAssertEqual(restarted.count, 4)
    Self.assertSame(restarted, uninterrupted)
  }
}

/// `agfas serve` as a child process on a free port, with the tiny models.
func serveProcess(state: URL, keys: URL, key: String) throws -> (ServeChild, APIClient) {
  let slow = ServeRestartTests.slow
  let child = try ServeChild(
    executable: AgfasCLI.executable,
    arguments: [
      "serve", "--port", "0", "--state", state.path, "--api-keys", keys.path, "--models", ServeTestServer.models,
      "--weights", ServeTestServer.mtcnnWeights, "--size", "\(slow.size)", "--seed", "\(slow.seed)",
      "--steps", "\(slow.reconstruction.steps)", "--strength", "\(slow.reconstruction.strength)", "--batch", "2",
      "--precision", "fp32", "--log-format", "json",
    ], key: key)
  return (child, APIClient(base: "http://127.0.0.1:\(child.port)"))
}
