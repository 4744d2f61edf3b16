import AGFASData
import AGFASVideo
import Foundation

/// The work list of `agfas align`: every input image and where its aligned faces go.
///
/// A folder input's tree is mirrored under the output folder (`in/a/b.jpg` ->
/// `out/a/b.png`); a file input goes to `out/<name>.png`. Further faces of an image (with
/// all faces on) are `<name>_1.png`, `<name>_2.png`, ... in decreasing box size.
public struct AlignmentJob: Sendable {
  public struct Item: Sendable, Equatable {
    /// The image file.
    public let input: String
    /// Its outputs' path relative to the output folder, without extension.
    public let stem: String
    /// A video: its frames go to `<stem>/<k>.png` (k from 1, as `agfas frames` numbers them).
    public var isVideo: Bool { VideoFrames.extensions.contains((input as NSString).pathExtension.lowercased()) }

    /// The aligned face `index` (0 = largest) relative to the output folder.
    public func output(face index: Int) -> String { index == 0 ? "\(stem).png" : "\(stem)_\(index).png" }
  }

  /// Image file extensions picked up inside folders (case-insensitive), videos' too; image files
  /// named on the command line are read whatever their extension (the decoder sniffs the format).
  public static let extensions: Set<String> = Set(["png", "jpg", "jpeg"]).union(VideoFrames.extensions)

  public let output: String
  /// Sorted by input path.
  public let items: [Item]
  /// Inputs, and files inside input folders, that cannot be read at all (names that are not
  /// valid UTF-8), with the reason; the run lists them as failed instead of dropping them
  /// silently.
  public let skipped: [SkippedInput]

  /// Plans a run over image files and folder trees.
  public init(inputs: [String], output: String) throws {
    guard !inputs.isEmpty else { throw FacesError.input("no input images or folders given") }
    let fm = FileManager.default
    var items: [Item] = []
    var skipped: [SkippedInput] = []
    for input in inputs {
      // A name that is not UTF-8 given on the command line arrives with U+FFFD in place of
      // its bytes and names nothing: listed as skipped, not called missing.
      if let name = RawArguments.undecodable(input) {
        skipped.append(SkippedInput(path: name, reason: "file name is not valid UTF-8; rename it"))
        continue
      }
      var isFolder: ObjCBool = false
      guard fm.fileExists(atPath: input, isDirectory: &isFolder) else {
        throw FacesError.input("\(input) does not exist")
      }
      guard isFolder.boolValue else {
        items.append(Item(input: input, stem: URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent))
        continue
      }
      let root = URL(fileURLWithPath: input).standardizedFileURL
      let found = try Self.images(under: root, skipped: &skipped)
      guard !found.isEmpty || !skipped.isEmpty else {
        throw FacesError.input("no images (.png/.jpg/.jpeg) or videos under \(input)")
      }
      items += found
    }
    var seen: [String: String] = [:]
    for item in items {
      if let other = seen.updateValue(item.input, forKey: item.stem) {
        throw FacesError.input(
          "\(other) and \(item.input) would both be written as \(item.stem).png; align them into separate folders")
      }
    }
    self.output = output
    self.items = items.sorted { $0.input < $1.input }
    self.skipped = skipped
  }

  private static func images(under root: URL, skipped: inout [SkippedInput]) throws -> [Item] {
    let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
    var items: [Item] = []
    func undecodable(in folder: String) {
      for name in RawDirectory.undecodableNames(in: folder) {
        skipped.append(SkippedInput(path: folder + "/" + name, reason: "file name is not valid UTF-8; rename it"))
      }
    }
    undecodable(in: root.path)
    while let url = walker?.nextObject() as? URL {
      if (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
        undecodable(in: url.standardizedFileURL.path)
      }
      guard extensions.contains(url.pathExtension.lowercased()),
        (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
      else { continue }
      let path = url.standardizedFileURL.path
      let relative = String(path.dropFirst(root.path.count + 1))
      items.append(Item(input: path, stem: (relative as NSString).deletingPathExtension))
    }
    return items
  }
}
