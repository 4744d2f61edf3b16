import Foundation

/// The folder in the reference's `model/` layout (sd-models-for-AG-FAS/, stable-diffusion-v1-5/,
/// vit-base-patch16-224-in21k/, backbone.pth, resnet18-f37072fd.pth) plus `mtcnn/` and
/// `examples/`, that every command reads by default. `agfas models fetch` fills it with links
/// into the shared caches and with the few files it unpacks.
public struct ModelsFolder: Sendable, Equatable {
  public var path: String

  /// `path` when given (`--models`), else `$AGFAS_HOME/models` (default `~/.cache/agfas/models`).
  public init(_ path: String? = nil, environment: ModelEnvironment = ModelEnvironment()) {
    self.path = path ?? environment.modelsFolder
  }

  public func location(of item: ModelManifest.Item) -> String { path + "/" + item.place }

  /// Where an item of the built-in manifest lives here (`mtcnn`, `vit`, `resnet18`, ...).
  public func location(ofItem name: String, manifest: ModelManifest = .builtIn) -> String? {
    manifest.items.first { $0.name == name }.map(location(of:))
  }

  /// Whether an item's files are all here, and which are not.
  public struct ItemStatus: Sendable, Equatable {
    public var item: String
    public var path: String
    /// Where a link points (the hub or torch cache), nil for real files.
    public var linkTarget: String?
    /// The files (or alternatives, joined with " or ") that are missing.
    public var missing: [String]
    public var isPresent: Bool { missing.isEmpty }
  }

  public func status(of item: ModelManifest.Item) -> ItemStatus {
    let place = location(of: item)
    let target = try? FileManager.default.destinationOfSymbolicLink(atPath: place)
    var missing: [String] = []
    func need(_ alternatives: [String], under folder: String) {
      if !alternatives.contains(where: { FileManager.default.fileExists(atPath: folder + "/" + $0) }) {
        missing.append(alternatives.joined(separator: " or "))
      }
    }
    if let unpack = item.unpack {
      for group in unpack.files { need(group, under: place) }
    } else if let files = item.hub?.files {
      for group in files { need(group, under: place) }
    } else if let members = item.members {
      for member in members { need([(member.path as NSString).lastPathComponent], under: place) }
    } else if !FileManager.default.fileExists(atPath: place) {
      missing.append((item.place as NSString).lastPathComponent)
    }
    return ItemStatus(item: item.name, path: place, linkTarget: target, missing: missing)
  }

  /// A relative path that stays inside the folder (no `..`, not absolute, not empty).
  static func isSafeRelativePath(_ path: String) -> Bool {
    !path.isEmpty && !path.hasPrefix("/")
      && !path.split(separator: "/", omittingEmptySubsequences: false).contains {
        $0 == ".." || $0 == "." || $0.isEmpty
      }
  }

  /// Throws, naming the sets to fetch, unless every item of `sets` is here.
  public func requireSets(_ sets: [String], manifest: ModelManifest = .builtIn, purpose: String) throws {
    let missing = try manifest.items(inSets: sets).map(status(of:)).filter { !$0.isPresent }
    guard !missing.isEmpty else { return }
    let names = Set(
      try manifest.items(inSets: sets).filter { item in missing.contains { $0.item == item.name } }.map(\.set))
    throw ModelsError.missing(
      "\(purpose) needs models that are not in \(path): "
        + missing.map { "\($0.item) (\($0.missing.joined(separator: ", ")))" }.joined(separator: "; ")
        + ". Run: agfas models fetch \(names.sorted().joined(separator: " "))")
  }
}
