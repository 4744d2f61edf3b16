/// How much memory a checkpoint file may make its reader use, so that a small hostile file
/// cannot take gigabytes before it is refused. Limits grow with the file where the format
/// lets a bigger file legitimately hold more, and stop at fixed ceilings; docs/checkpoints.md
/// gives the numbers and the reasoning.
public struct CheckpointLimits: Sendable {
  /// Largest safetensors JSON header, in bytes: the safetensors library's own limit
  /// (`MAX_HEADER_SIZE`), so no file that library reads is refused. The header must also
  /// fit in the file.
  public var maxHeaderBytes = 100_000_000
  /// Most tensors one safetensors header may list. Published checkpoints list at most tens
  /// of thousands per file; a million keeps the parsed header under about half a gigabyte.
  public var maxHeaderEntries = 1_000_000
  /// Pickle objects (values pushed, memo entries) any pickle may create, however small its
  /// file: enough for every state dict and training checkpoint seen.
  public var minPickleObjects = 1_000_000
  /// Beyond `minPickleObjects`, one pickle object per this many bytes of the file. An object
  /// costs the reader about 60-100 bytes, so memory stays within about 10x the file size.
  public var fileBytesPerPickleObject = 8

  /// The limits `Checkpoint.load` and `SafeTensorsFile` use unless given others.
  public static let standard = CheckpointLimits()

  public init() {}

  /// How many objects a pickle inside a file of `fileBytes` bytes may create.
  public func pickleObjects(fileBytes: Int) -> Int {
    max(minPickleObjects, fileBytes / max(fileBytesPerPickleObject, 1))
  }
}
