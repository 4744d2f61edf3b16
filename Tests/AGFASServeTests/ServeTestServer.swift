import AGFASCheck
import AGFASDFG
import AGFASFaces
import AGFASImage
import AGFASOANet
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import XCTest

@testable import AGFASBench
@testable import AGFASServe

/// A server in the test process on a free loopback port, with the tiny DFG of the DFG tests,
/// facenet-pytorch's real MTCNN weights and (optionally) the tiny OA-Net of the OA-Net tests.
final class ServeTestServer: @unchecked Sendable {
  static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  static let repoRoot = tests.deletingLastPathComponent()
  static let models = tests.appendingPathComponent("AGFASDFGTests/Fixtures/models").path
  static let oanetFixtures = tests.appendingPathComponent("AGFASOANetTests/Fixtures/predict")
  static let material = repoRoot.appendingPathComponent(".cache/test-material")
  static let mtcnnWeights = material.appendingPathComponent("facenet_pytorch/data").path
  static let astronaut = material.appendingPathComponent("skimage/data/astronaut.png").path

  /// The check options of every test: small crops and few steps keep a check under a second.
  static let options = LivenessCheck.Options(size: 64, seed: 3, reconstruction: .init(strength: 801, steps: 4))

  let server: LivenessServer
  let state: URL
  private var task: Task<Void, Error>?
  private(set) var port = 0
  var base: String { "http://127.0.0.1:\(port)" }

  /// Skips (locally) or fails (in CI) when fetched material is absent.
  static func requireMaterial() throws {
    for path in [astronaut, mtcnnWeights + "/pnet.pt"] where !FileManager.default.fileExists(atPath: path) {
      let message = "\(path) absent: run scripts/fetch_test_material.sh"
      if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(message) }
      throw XCTSkip(message)
    }
  }

  static func loadModels(oanet: Bool, options: LivenessCheck.Options = options) throws -> LivenessCheck {
    let detector = try MTCNN(weightsFolder: mtcnnWeights)
    let dfg = try DFGPipeline.load(DFGModelPaths(models: models))
    let predictor =
      try oanet
      ? OANetPredictor(
        checkpoint: oanetFixtures.appendingPathComponent("model.pth").path,
        configPath: oanetFixtures.appendingPathComponent("oanet_config.json").path) : nil
    return LivenessCheck(detector: detector, dfg: dfg, oanet: predictor, options: options)
  }

  /// `gate`, when given, holds the model loading (so checks stay queued) until it is signalled.
  init(
    state: URL? = nil, oanet: Bool = false, gate: DispatchSemaphore? = nil,
    configure: (inout ServeConfiguration) -> Void = { _ in }
  ) throws {
    try Self.requireMaterial()
    self.state =
      state ?? FileManager.default.temporaryDirectory.appendingPathComponent("agfas-serve-\(UUID().uuidString)")
    var configuration = ServeConfiguration(stateFolder: self.state.path)
    configuration.port = 0
    configuration.check = Self.options
    configure(&configuration)
    var logger = Logger(label: "serve-test")
    logger.logLevel = .critical
    server = try LivenessServer(configuration: configuration, logger: logger) {
      gate?.wait()
      return try Self.loadModels(oanet: oanet)
    }
  }

  func start() async throws {
    let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
    task = Task { [server] in
      try await server.run(signals: []) { continuation.yield($0) }
    }
    for await port in stream {
      self.port = port
      break
    }
  }

  /// Graceful shutdown, then the run's end.
  func stop() async throws {
    await server.shutdown()
    _ = try await task?.value
  }

  func removeState() { try? FileManager.default.removeItem(at: state) }

  typealias Reply = APIClient.Reply

  var client: APIClient { APIClient(base: base) }

  func request(
    _ method: HTTPMethod, _ path: String, body: Data? = nil, headers: [(String, String)] = []
  ) async throws -> Reply {
    try await client.request(method, path, body: body, headers: headers)
  }

  /// A multipart/form-data body of named PNG parts, and its content type.
  static func form(_ parts: [(String, Data)], boundary: String = "agfas-test-boundary") -> (Data, String) {
    (
      Data(RawHTTP.form(parts.map { ($0.0, [UInt8]($0.1)) }, boundary: boundary)),
      "multipart/form-data; boundary=\(boundary)"
    )
  }
}

/// Requests to a server on loopback, in this process or a child one.
struct APIClient: Sendable {
  var base: String

  struct Reply {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var message: String { (json["error"] as? [String: Any])?["message"] as? String ?? "" }
  }

  func request(
    _ method: HTTPMethod, _ path: String, body: Data? = nil, headers: [(String, String)] = []
  ) async throws -> Reply {
    var request = HTTPClientRequest(url: base + path)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
    let bytes = try await response.body.collect(upTo: 64 << 20)
    return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
  }
}
