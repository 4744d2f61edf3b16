import Foundation

/// The work list of a reconstruction run: which input faces map to which output PNGs, which
/// of them this shard owns, and which are already done.
///
/// Outputs mirror the input tree (`in/a/b/1.png` -> `out/a/b/1.png`), so reruns after a crash
/// skip finished faces, and `--shard i/n` splits the sorted list deterministically (face k
/// belongs to shard k mod n) so n machines share a dataset with no coordination.
public struct ReconstructionJob: Sendable {
  public struct Item: Sendable, Equatable {
    public let input: String
    public let output: String
  }

  /// Shard `index` of `count` (0-based index).
  public struct Shard: Sendable, Equatable {
    public let index: Int
    public let count: Int

    public static let all = Shard(index: 0, count: 1)

    public init(index: Int, count: Int) {
      self.index = index
      self.count = count
    }

    /// Parses "i/n" with 0 <= i < n.
    public init(parsing text: String) throws {
      let parts = text.split(separator: "/")
      guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
        throw JobError.badShard(text)
      }
      self.init(index: i, count: n)
    }
  }

  public enum JobError: Error, CustomStringConvertible, Equatable {
    case badShard(String)
    case missingInput(String)
    case noImages(String)
    /// Inputs that would write the same output (`a.png` and `a.jpg` -> `a.png`): every
    /// output with all its inputs.
    case collisions([(output: String, inputs: [String])])

    public static func == (a: JobError, b: JobError) -> Bool { a.description == b.description }

    public var description: String {
      switch self {
      case .collisions(let list):
        "\(list.count) output\(list.count == 1 ? "" : "s") would be written by more than one input "
          + "(rename or move one of each group; nothing was written):\n"
          + list.map { "  \($0.output) <- \($0.inputs.joined(separator: ", "))" }.joined(separator: "\n")
      case .badShard(let s): "--shard '\(s)': expected i/n with 0 <= i < n (e.g. 0/4)"
      case .missingInput(let p): "input \(p) does not exist"
      case .noImages(let p): "no .png/.jpg/.jpeg images under \(p)"
      }
    }
  }

  /// Every face of this shard, sorted by input path.
  public let items: [Item]
  /// The output folder the items write under.
  public let outputRoot: String
  /// The subset whose output does not exist yet.
  public var pending: [Item] { items.filter { !FileManager.default.fileExists(atPath: $0.output) } }

  static let extensions: Set<String> = ["png", "jpg", "jpeg"]

  /// The PNG/JPEG files of a folder tree (or the one file `input` names), sorted, each with
  /// its path relative to `input` (a file: its name).
  public static func imageFiles(under input: String) throws -> [(path: String, relative: String)] {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: input, isDirectory: &isDir) else { throw JobError.missingInput(input) }
    var files: [(path: String, relative: String)] = []
    if isDir.boolValue {
      let root = URL(fileURLWithPath: input).standardizedFileURL
      let walker = fm.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
      while let url = walker?.nextObject() as? URL {
        guard extensions.contains(url.pathExtension.lowercased()) else { continue }
        let path = url.standardizedFileURL.path
        files.append((path, String(path.dropFirst(root.path.count + 1))))
      }
    } else {
      files.append((input, URL(fileURLWithPath: input).lastPathComponent))
    }
    guard !files.isEmpty else { throw JobError.noImages(input) }
    return files.sorted { $0.path < $1.path }
  }

  /// Plans a run over an image file or a folder tree.
  public init(input: String, output: String, shard: Shard = .all) throws {
    var pairs: [Item] = []
    for (path, relative) in try Self.imageFiles(under: input) {
      let out = URL(fileURLWithPath: output).appendingPathComponent(relative).deletingPathExtension()
        .appendingPathExtension("png")
      pairs.append(Item(input: path, output: out.path))
    }
    // Checked over all shards before any work: a later write would silently replace an
    // earlier one and the summary would count both.
    let byOutput = Dictionary(grouping: pairs, by: \.output)
    let collisions = byOutput.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }
    if !collisions.isEmpty {
      throw JobError.collisions(collisions.map { ($0.key, $0.value.map(\.input)) })
    }
    outputRoot = output
    items = pairs.enumerated().filter { $0.offset % shard.count == shard.index }.map(\.element)
  }
}
