import AGFASModels
import AGFASTestSupport
import Foundation
import XCTest
import ZIPFoundation

/// `agfas models fetch` against a hub, a torchvision URL and a package index on loopback,
/// serving the tiny test models in the real services' layouts.
final class ModelFetchTests: XCTestCase {
  var hub: FakeHub!
  var root: URL!
  /// The tiny DFG models of the DFG tests, in the reference layout.
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../AGFASDFGTests/Fixtures/models").standardized
  static let vitFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../AGFASOANetTests/Fixtures/vit_tiny").standardized
  static let resnetFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../AGFASOANetTests/Fixtures/resnet_tiny.pth").standardized

  var resnet: Data!
  var resnetName: String { "resnet18-\(sha256(resnet).prefix(8)).pth" }
  var zipData: Data!
  var wheelMembers: [String: Data] = ["pkg/data/pnet.pt": Data("p-net".utf8), "pkg/data/onet.pt": Data("o-net".utf8)]

  override func setUp() async throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-models-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    hub = FakeHub()
    let unet = Self.fixtures.appendingPathComponent("sd-models-for-AG-FAS/checkpoint-150000/unet_ema")
    var zipEntries: [String: Data] = ["sd-models-for-AG-FAS/checkpoint-100000/unet/config.json": Data("{}".utf8)]
    for name in try FileManager.default.contentsOfDirectory(atPath: unet.path) {
      zipEntries["sd-models-for-AG-FAS/checkpoint-150000/unet_ema/" + name] = try Data(
        contentsOf: unet.appendingPathComponent(name))
    }
    zipData = try makeZip(zipEntries)
    hub.addRepo(
      "authors/agfas",
      files: [
        "sd-models-for-AG-FAS.zip": .init(data: zipData, lfs: true),
        "arcface/backbone.pth": .init(data: try fixture("backbone.pth"), lfs: true),
        "README.md": .init(data: Data("# readme".utf8), lfs: false),
      ])
    hub.addRepo(
      "sd/sd15",
      files: [
        "vae/config.json": .init(data: try fixture("stable-diffusion-v1-5/vae/config.json"), lfs: false),
        "vae/diffusion_pytorch_model.bin": .init(
          data: try fixture("stable-diffusion-v1-5/vae/diffusion_pytorch_model.bin"), lfs: true),
        "scheduler/scheduler_config.json": .init(
          data: try fixture("stable-diffusion-v1-5/scheduler/scheduler_config.json"), lfs: false),
        "unet/diffusion_pytorch_model.bin": .init(data: Data(repeating: 7, count: 1000), lfs: true),
      ])
    hub.addRepo(
      "google/vit-tiny",
      files: [
        "config.json": .init(
          data: try Data(contentsOf: Self.vitFixture.appendingPathComponent("config.json")), lfs: false),
        "pytorch_model.bin": .init(
          data: try Data(contentsOf: Self.vitFixture.appendingPathComponent("pytorch_model.bin")), lfs: true),
      ], token: "s3cret")
    resnet = try Data(contentsOf: Self.resnetFixture)
    hub.addPlain("/torch/" + resnetName, resnet)
    hub.addWheel(project: "fake-pkg", file: "fake_pkg-1.0-py3-none-any.whl", data: try makeZip(wheelMembers))
    try await hub.start()
  }

  override func tearDown() async throws {
    await hub.stop()
    try? FileManager.default.removeItem(at: root)
  }

  func fixture(_ path: String) throws -> Data { try Data(contentsOf: Self.fixtures.appendingPathComponent(path)) }

  func makeZip(_ entries: [String: Data]) throws -> Data {
    let archive = try Archive(data: Data(), accessMode: .create)
    for (path, data) in entries.sorted(by: { $0.key < $1.key }) {
      try archive.addEntry(
        with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate,
        provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) })
    }
    return archive.data!
  }

  /// The test manifest: the real one's shape, pointing at the loopback services.
  func manifestJSON() throws -> String {
    let wheel = try makeZip(wheelMembers)
    let members = wheelMembers.keys.sorted().map { #"{"path": "\#($0)", "sha256": "\#(sha256(wheelMembers[$0]!))"}"# }
    return """
      {"format": 1,
       "sets": [{"name": "dfg", "about": "d"}, {"name": "oanet-init", "about": "o"}, {"name": "mtcnn", "about": "m"}],
       "items": [
        {"name": "dfg-unet", "set": "dfg", "about": "unet",
         "hub": {"repo": "authors/agfas", "revision": "main", "match": "sd-models-for-AG-FAS*.zip"},
         "unpack": {"folder": "unet_ema", "prefer": "checkpoint-150000",
                    "files": [["config.json"], ["diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin"]]},
         "place": "sd-models-for-AG-FAS/checkpoint-150000/unet_ema"},
        {"name": "arcface", "set": "dfg", "about": "arcface",
         "hub": {"repo": "authors/agfas", "revision": "main", "match": "backbone.pth"}, "place": "backbone.pth"},
        {"name": "sd-vae", "set": "dfg", "about": "vae",
         "hub": {"repo": "sd/sd15", "revision": "main",
                 "files": [["vae/config.json"], ["vae/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.bin"],
                           ["scheduler/scheduler_config.json"]]},
         "place": "stable-diffusion-v1-5"},
        {"name": "vit", "set": "oanet-init", "about": "vit",
         "hub": {"repo": "google/vit-tiny", "revision": "main", "files": [["config.json"], ["model.safetensors", "pytorch_model.bin"]]},
         "place": "vit-base-patch16-224-in21k"},
        {"name": "resnet18", "set": "oanet-init", "about": "resnet",
         "torchvision": {"url": "\(hub.base)/torch/\(resnetName)", "sha256Prefix": "\(sha256(resnet).prefix(8))"},
         "place": "resnet18-f37072fd.pth"},
        {"name": "mtcnn", "set": "mtcnn", "about": "mtcnn",
         "wheel": {"project": "fake-pkg", "file": "fake_pkg-1.0-py3-none-any.whl", "size": \(wheel.count),
                   "sha256": "\(sha256(wheel))", "index": "\(hub.base)/simple"},
         "members": [\(members.joined(separator: ", "))], "place": "mtcnn"}
       ]}
      """
  }

  func environment(_ extra: [String: String] = [:]) -> [String: String] {
    [
      "HOME": root.path, "HF_ENDPOINT": hub.base, "HF_HOME": root.appendingPathComponent("hf").path,
      "TORCH_HOME": root.appendingPathComponent("torch").path, "AGFAS_HOME": root.appendingPathComponent("agfas").path,
      "HF_TOKEN": "s3cret",
    ].merging(extra) { $1 }
  }

  func fetch(sets: [String] = [], models: String? = nil, env: [String: String] = [:]) async throws {
    let manifestFile = root.appendingPathComponent("manifest.json")
    try manifestJSON().write(to: manifestFile, atomically: true, encoding: .utf8)
    let environment = ModelEnvironment(environment: environment(env))
    let fetcher = ModelFetcher(
      manifest: try ModelManifest.load(path: manifestFile.path), environment: environment,
      folder: ModelsFolder(models, environment: environment))
    do {
      let plan = try await fetcher.plan(sets: sets)
      try await fetcher.fetch(plan) { _ in }
      await fetcher.shutdown()
    } catch {
      await fetcher.shutdown()
      throw error
    }
  }

  var models: URL { root.appendingPathComponent("agfas/models") }
  var hubCache: URL { root.appendingPathComponent("hf/hub") }

  func fetchError(sets: [String] = [], models: String? = nil, env: [String: String] = [:]) async -> String {
    do {
      try await fetch(sets: sets, models: models, env: env)
      return "no error"
    } catch { return "\(error)" }
  }

  // MARK: - Tests

  func testFreshFetchFillsTheCachesAndTheReferenceLayout() async throws {
    try await fetch()
    // The reference layout, with the bytes the hub served.
    let unet = models.appendingPathComponent("sd-models-for-AG-FAS/checkpoint-150000/unet_ema")
    for name in try FileManager.default.contentsOfDirectory(atPath: unet.path) {
      XCTAssertEqual(
        try Data(contentsOf: unet.appendingPathComponent(name)),
        try fixture("sd-models-for-AG-FAS/checkpoint-150000/unet_ema/" + name), name)
    }
    XCTAssertEqual(try Data(contentsOf: models.appendingPathComponent("backbone.pth")), try fixture("backbone.pth"))
    XCTAssertEqual(
      try Data(contentsOf: models.appendingPathComponent("stable-diffusion-v1-5/vae/diffusion_pytorch_model.bin")),
      try fixture("stable-diffusion-v1-5/vae/diffusion_pytorch_model.bin"))
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: models.appendingPathComponent("stable-diffusion-v1-5/unet").path))
    XCTAssertEqual(try Data(contentsOf: models.appendingPathComponent("resnet18-f37072fd.pth")), resnet)
    XCTAssertEqual(try Data(contentsOf: models.appendingPathComponent("mtcnn/pnet.pt")), Data("p-net".utf8))
    // huggingface_hub's layout: blobs named by ETag, relative snapshot links, refs/main.
    let repo = hubCache.appendingPathComponent("models--sd--sd15")
    let commit = hub.commit(of: "sd/sd15")
    XCTAssertEqual(try String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8), commit)
    let vaeWeights = try fixture("stable-diffusion-v1-5/vae/diffusion_pytorch_model.bin")
    XCTAssertEqual(
      try FileManager.default.destinationOfSymbolicLink(
        atPath: repo.appendingPathComponent("snapshots/\(commit)/vae/diffusion_pytorch_model.bin").path),
      "../../../blobs/\(sha256(vaeWeights))")
    let config = try fixture("stable-diffusion-v1-5/scheduler/scheduler_config.json")
    XCTAssertTrue(FileManager.default.fileExists(atPath: repo.appendingPathComponent("blobs/\(gitSHA1(config))").path))
    // torchvision's cache.
    XCTAssertEqual(try Data(contentsOf: root.appendingPathComponent("torch/hub/checkpoints/\(resnetName)")), resnet)
    // Nothing half-written anywhere.
    let leftovers = FileManager.default.enumerator(atPath: root.path)!.compactMap { $0 as? String }.filter {
      $0.hasSuffix(".incomplete") || $0.contains(".partial-") || $0.contains(".tmp-") || $0.contains(".downloads/")
    }
    XCTAssertEqual(leftovers, [])
  }

  func testRerunDownloadsNothingAndAnotherFolderReusesTheHubCache() async throws {
    try await fetch()
    hub.resetCounters()
    try await fetch()
    XCTAssertEqual(hub.bytesServed, 0)
    // A second models folder over the same caches: hub and torch files are linked, not fetched.
    let other = root.appendingPathComponent("other").path
    try await fetch(sets: ["dfg", "oanet-init"], models: other)
    XCTAssertEqual(hub.bytesServed, 0)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: other + "/backbone.pth")), try fixture("backbone.pth"))
  }

  func testACutTransferResumesWithARangeRequest() async throws {
    hub.cutNextTransfer(of: sha256(zipData))
    let message = await fetchError(sets: ["dfg"])
    XCTAssertTrue(message.contains("broke off") && message.contains("resume"), message)
    let partial = hubCache.appendingPathComponent("models--authors--agfas/blobs/\(sha256(zipData)).incomplete")
    let kept = try Data(contentsOf: partial)
    XCTAssertEqual(kept.count, zipData.count / 2)
    XCTAssertFalse(FileManager.default.fileExists(atPath: models.appendingPathComponent("sd-models-for-AG-FAS").path))
    hub.resetCounters()
    try await fetch(sets: ["dfg"])
    XCTAssertEqual(hub.rangeRequests, 1)
    XCTAssertEqual(hub.served["/blobs/\(sha256(zipData))"], zipData.count - zipData.count / 2)
    XCTAssertEqual(
      try Data(contentsOf: hubCache.appendingPathComponent("models--authors--agfas/blobs/\(sha256(zipData))")), zipData)
    XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
  }

  func testACorruptedByteIsRefusedAndNothingIsLeft() async throws {
    hub.corruptTransfers(of: resnetName)
    let message = await fetchError(sets: ["oanet-init"])
    XCTAssertTrue(message.contains("corrupt") && message.contains(resnetName), message)
    let checkpoints = root.appendingPathComponent("torch/hub/checkpoints")
    XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? [], [])
    XCTAssertNil(
      try? FileManager.default.destinationOfSymbolicLink(
        atPath: models.appendingPathComponent("resnet18-f37072fd.pth").path))
    // A corrupted hub file (checked against its ETag) likewise.
    hub.corruptTransfers(of: sha256(try fixture("backbone.pth")))
    let hubMessage = await fetchError(sets: ["dfg"])
    XCTAssertTrue(hubMessage.contains("corrupt") && hubMessage.contains("backbone.pth"), hubMessage)
  }

  func testNotFoundAndUnauthorizedSayWhatToDo() async throws {
    let unauthorized = await fetchError(sets: ["oanet-init"], env: ["HF_TOKEN": ""])
    XCTAssertTrue(unauthorized.contains("google/vit-tiny") && unauthorized.contains("401"), unauthorized)
    XCTAssertTrue(unauthorized.contains("HF_TOKEN"), unauthorized)
    try await fetch(sets: ["oanet-init"])
    XCTAssertTrue(
      FileManager.default.fileExists(
        atPath: models.appendingPathComponent("vit-base-patch16-224-in21k/config.json").path))

    hub.addRepo("sd/sd15", files: [:])
    let missing = await fetchError(sets: ["dfg"])
    XCTAssertTrue(missing.contains("sd/sd15") && missing.contains("none of vae/config.json"), missing)
    hub.addPlain("/nothing", Data())
    let gone = await fetchError(sets: ["dfg"], env: ["HF_ENDPOINT": hub.base + "/gone"])
    XCTAssertTrue(gone.contains("not found") && gone.contains("authors/agfas"), gone)
  }

  func testOfflineUsesTheCachesOnly() async throws {
    let offlineEmpty = await fetchError(sets: ["dfg"], env: ["HF_HUB_OFFLINE": "1"])
    XCTAssertTrue(offlineEmpty.contains("HF_HUB_OFFLINE") && offlineEmpty.contains("authors/agfas"), offlineEmpty)
    try await fetch()
    await hub.stop()
    let other = root.appendingPathComponent("other").path
    try await fetch(
      sets: ["dfg", "oanet-init"], models: other, env: ["HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"])
    // A wheel's members are not kept in a shared cache: offline, a new folder cannot get them.
    let wheel = await fetchError(sets: ["mtcnn"], models: other, env: ["HF_HUB_OFFLINE": "1"])
    XCTAssertTrue(wheel.contains("HF_HUB_OFFLINE") && wheel.contains("fake_pkg-1.0"), wheel)
    XCTAssertEqual(
      try Data(contentsOf: URL(fileURLWithPath: other + "/stable-diffusion-v1-5/vae/diffusion_pytorch_model.bin")),
      try fixture("stable-diffusion-v1-5/vae/diffusion_pytorch_model.bin"))
  }

  func testNoServerIsOneClearLine() async throws {
    await hub.stop()
    let message = await fetchError(sets: ["dfg"], env: ["HF_ENDPOINT": "http://127.0.0.1:9"])
    XCTAssertTrue(message.hasPrefix("cannot reach http://127.0.0.1:9"), message)
    XCTAssertFalse(message.contains("\n"), message)
  }

  func testTheCommandLine() throws {
    let manifestFile = root.appendingPathComponent("manifest.json")
    try manifestJSON().write(to: manifestFile, atomically: true, encoding: .utf8)
    var env: [String: String?] = environment().mapValues { $0 }
    env["AGFAS_MODELS_MANIFEST"] = manifestFile.path
    let before = try AgfasCLI.run(["models", "list"], environment: env)
    XCTAssertEqual(before.status, 0, before.stderr)
    XCTAssertTrue(before.stdout.contains("dfg\tdfg-unet\tMISSING"), before.stdout)
    let fetched = try AgfasCLI.run(["models", "fetch", "--yes"], environment: env)
    XCTAssertEqual(fetched.status, 0, fetched.stderr)
    XCTAssertTrue(fetched.stderr.contains("verified: authors/agfas/sd-models-for-AG-FAS.zip"), fetched.stderr)
    let after = try AgfasCLI.run(["models", "list", "--json"], environment: env)
    let lines = after.stdout.split(separator: "\n")
    XCTAssertEqual(lines.count, 6)
    XCTAssertFalse(after.stdout.contains(#""present":false"#), after.stdout)
    let again = try AgfasCLI.run(["models", "fetch"], environment: env)
    XCTAssertTrue(again.stderr.contains("everything asked for is in"), again.stderr)
    let unknown = try AgfasCLI.run(["models", "fetch", "nope"], environment: env)
    XCTAssertNotEqual(unknown.status, 0)
    XCTAssertTrue(unknown.stderr.contains("unknown set 'nope'"), unknown.stderr)
  }

  func testTheBuiltInManifestIsValidAndCoversThePipeline() throws {
    let manifest = ModelManifest.builtIn
    XCTAssertEqual(manifest.sets.map(\.name), ["dfg", "oanet-init", "mtcnn", "examples"])
    let places = Set(manifest.items.map(\.place))
    for place in [
      "sd-models-for-AG-FAS/checkpoint-150000/unet_ema", "stable-diffusion-v1-5", "backbone.pth",
      "vit-base-patch16-224-in21k", "resnet18-f37072fd.pth", "mtcnn", "examples",
    ] {
      XCTAssertTrue(places.contains(place), place)
    }
    XCTAssertThrowsError(try ModelManifest.load(path: "/nonexistent.json"))
  }
}
