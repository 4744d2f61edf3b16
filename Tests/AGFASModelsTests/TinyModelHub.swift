import Foundation
import ZIPFoundation

/// The loopback hub serving the tiny test models in the real services' layouts, and a manifest
/// shaped like the built-in one that points at it: the authors' zip and ArcFace, SD-1.5's VAE
/// and scheduler, a (token-protected) ViT, a torchvision file, and the MTCNN and example-photo
/// wheels (the real facenet-pytorch weights and scikit-image photos where `realFaceMaterial`).
final class TinyModelHub {
  let hub = FakeHub()
  static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  static let fixtures = here.appendingPathComponent("../AGFASDFGTests/Fixtures/models").standardized
  static let vitFixture = here.appendingPathComponent("../AGFASOANetTests/Fixtures/vit_tiny").standardized
  static let resnetFixture = here.appendingPathComponent("../AGFASOANetTests/Fixtures/resnet_tiny.pth").standardized
  static let testMaterial = here.appendingPathComponent("../../.cache/test-material").standardized

  let resnet: Data
  var resnetName: String { "resnet18-\(sha256(resnet).prefix(8)).pth" }
  let zipData: Data
  let mtcnnMembers: [String: Data]
  let exampleMembers: [String: Data]
  /// The wheels, zipped once: a zip records times, so zipping again can give other bytes.
  var mtcnnWheel = Data()
  var examplesWheel = Data()
  static let token = "s3cret"

  init(realFaceMaterial: Bool) throws {
    let unet = Self.fixtures.appendingPathComponent("sd-models-for-AG-FAS/checkpoint-150000/unet_ema")
    var zipEntries: [String: Data] = ["sd-models-for-AG-FAS/checkpoint-100000/unet/config.json": Data("{}".utf8)]
    for name in try FileManager.default.contentsOfDirectory(atPath: unet.path) {
      zipEntries["sd-models-for-AG-FAS/checkpoint-150000/unet_ema/" + name] = try Data(
        contentsOf: unet.appendingPathComponent(name))
    }
    zipData = try Self.zip(zipEntries)
    resnet = try Data(contentsOf: Self.resnetFixture)
    if realFaceMaterial {
      func material(_ path: String) throws -> Data {
        let url = Self.testMaterial.appendingPathComponent(path)
        guard let data = try? Data(contentsOf: url) else {
          throw CocoaError(
            .fileNoSuchFile, userInfo: [NSFilePathErrorKey: url.path + " (run scripts/fetch_test_material.sh)"])
        }
        return data
      }
      mtcnnMembers = try Dictionary(
        uniqueKeysWithValues: ["pnet.pt", "rnet.pt", "onet.pt"].map {
          ("facenet_pytorch/data/\($0)", try material("facenet_pytorch/data/\($0)"))
        })
      exampleMembers = try Dictionary(
        uniqueKeysWithValues: ["astronaut.png", "camera.png"].map {
          ("skimage/data/\($0)", try material("skimage/data/\($0)"))
        })
    } else {
      mtcnnMembers = [
        "facenet_pytorch/data/pnet.pt": Data("p-net".utf8), "facenet_pytorch/data/onet.pt": Data("o-net".utf8),
      ]
      exampleMembers = ["skimage/data/astronaut.png": Data("photo".utf8)]
    }
    mtcnnWheel = try Self.zip(mtcnnMembers)
    examplesWheel = try Self.zip(exampleMembers)
  }

  func fixture(_ path: String) throws -> Data { try Data(contentsOf: Self.fixtures.appendingPathComponent(path)) }

  func start() async throws {
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
      ], token: Self.token)
    hub.addPlain("/torch/" + resnetName, resnet)
    hub.addWheel(
      project: "facenet-pytorch", file: "fake_facenet-1.0-py3-none-any.whl", data: mtcnnWheel)
    hub.addWheel(project: "scikit-image", file: "fake_skimage-1.0-py3-none-any.whl", data: examplesWheel)
    try await hub.start()
  }

  static func zip(_ entries: [String: Data]) throws -> Data {
    let archive = try Archive(data: Data(), accessMode: .create)
    for (path, data) in entries.sorted(by: { $0.key < $1.key }) {
      try archive.addEntry(
        with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate,
        provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) })
    }
    return archive.data!
  }

  /// The test manifest: the built-in one's shape, pointing at the loopback services.
  func manifestJSON() throws -> String {
    func wheel(
      _ name: String, _ project: String, _ file: String, _ members: [String: Data], _ place: String, _ data: Data
    )
      -> String
    {
      let list = members.keys.sorted().map { #"{"path": "\#($0)", "sha256": "\#(sha256(members[$0]!))"}"# }
      return """
        {"name": "\(name)", "set": "\(name)", "about": "\(name)",
         "wheel": {"project": "\(project)", "file": "\(file)", "size": \(data.count),
                   "sha256": "\(sha256(data))", "index": "\(hub.base)/simple"},
         "members": [\(list.joined(separator: ", "))], "place": "\(place)"}
        """
    }
    return """
      {"format": 1,
       "sets": [{"name": "dfg", "about": "d"}, {"name": "oanet-init", "about": "o"}, {"name": "mtcnn", "about": "m"},
                {"name": "examples", "about": "e"}],
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
        \(wheel("mtcnn", "facenet-pytorch", "fake_facenet-1.0-py3-none-any.whl", mtcnnMembers, "mtcnn", mtcnnWheel)),
        \(wheel("examples", "scikit-image", "fake_skimage-1.0-py3-none-any.whl", exampleMembers, "examples", examplesWheel))
       ]}
      """
  }

  /// The environment of a fresh machine whose home is `root`, pointed at this hub.
  func environment(root: URL) -> [String: String] {
    [
      "HOME": root.path, "HF_ENDPOINT": hub.base, "HF_HOME": root.appendingPathComponent("hf").path,
      "TORCH_HOME": root.appendingPathComponent("torch").path, "AGFAS_HOME": root.appendingPathComponent("agfas").path,
      "HF_TOKEN": Self.token, "PIP_INDEX_URL": "", "PIP_FIND_LINKS": "", "XDG_CACHE_HOME": "",
    ]
  }
}
