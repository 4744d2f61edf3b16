import Foundation
import Logging

/// One JSON object per log line on stderr (time, level, message, metadata), the form log
/// collectors (Loki, Elasticsearch, CloudWatch) read without a parser of their own.
public struct JSONLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level = .info
  let label: String

  public init(label: String) {
    self.label = label
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var fields: [String: String] = [
      "time": Self.timestamp(), "level": event.level.rawValue, "message": event.message.description, "logger": label,
    ]
    if let error = event.error { fields["error"] = "\(error)" }
    for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
      fields[key == "hb.request.id" ? "request_id" : key] = "\(value)"
    }
    guard
      var data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
    else { return }
    data.append(0x0A)
    FileHandle.standardError.write(data)
  }

  static func timestamp() -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: Date())
  }
}
