/// What a fetch reports as it goes, for a progress display.
public enum FetchEvent: Sendable {
  /// A file is already in a cache (nothing downloaded).
  case reused(file: String, path: String)
  /// A download starts; `resumedAt` bytes were already there from an interrupted one.
  case downloading(file: String, size: Int64?, resumedAt: Int64)
  /// Bytes of the current download so far (called often; throttle the display).
  case progress(file: String, bytes: Int64, size: Int64?)
  /// A download finished and was verified.
  case downloaded(file: String, bytes: Int64)
  /// An item was put into the models folder.
  case placed(item: String, path: String)
  /// Something worth one line (a file chosen among alternatives, a fallback taken).
  case note(String)
}

public typealias FetchObserver = @Sendable (FetchEvent) -> Void
