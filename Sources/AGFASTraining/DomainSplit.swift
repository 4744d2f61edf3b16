import Foundation

/// A train/validate split of the cross-domain protocol (docs/method.md §5): source domains to train on
/// (the discriminator's classes, in this order) and the target domain held out for validation.
public struct DomainSplit: Equatable, Sendable, CustomStringConvertible {
  public let sources: [String]
  public let target: String

  public init(sources: [String], target: String) throws {
    guard !sources.isEmpty, !target.isEmpty, !sources.contains(target), Set(sources).count == sources.count,
      !sources.contains(where: \.isEmpty)
    else {
      throw TrainingError.options(
        "the source domains \(sources) must be distinct and not include the target '\(target)'")
    }
    self.sources = sources
    self.target = target
  }

  /// Parses the paper's notation `SOURCES-TARGET`, e.g. `O,C,I-M`.
  public init(protocol text: String) throws {
    guard let dash = text.lastIndex(of: "-") else {
      throw TrainingError.options("protocol '\(text)' is not SOURCES-TARGET, e.g. O,C,I-M")
    }
    try self.init(
      sources: Self.names(String(text[..<dash])), target: String(text[text.index(after: dash)...]).trimmed)
  }

  /// Every leave-one-out split of `domains`: each domain in turn the target, the others (in
  /// the given order) the sources, as the authors' train.py loops. M,C,I,O gives C,I,O-M,
  /// M,I,O-C, M,C,O-I and M,C,I-O.
  public static func leaveOneOut(_ domains: [String]) throws -> [DomainSplit] {
    guard domains.count >= 2, Set(domains).count == domains.count else {
      throw TrainingError.options("leave-one-out needs at least 2 distinct domains, got \(domains)")
    }
    return try domains.map { target in
      try DomainSplit(sources: domains.filter { $0 != target }, target: target)
    }
  }

  /// Comma-separated domain names.
  public static func names(_ list: String) -> [String] {
    list.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmed }
  }

  /// `O,C,I-M`.
  public var description: String { sources.joined(separator: ",") + "-" + target }

  /// A folder name for this split's run: `OCI-M` for one-letter domains, else `CASIA_MSU-OULU`.
  public var folderName: String {
    let all = sources + [target]
    return sources.joined(separator: all.allSatisfy { $0.count == 1 } ? "" : "_") + "-" + target
  }
}

extension String {
  fileprivate var trimmed: String { trimmingCharacters(in: .whitespaces) }
}
