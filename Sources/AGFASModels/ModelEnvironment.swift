import Foundation

/// The places and settings the Python ecosystem's tools already read, so that AGFAS and they
/// share one cache: huggingface_hub's (`HF_HOME`, `HF_HUB_CACHE`, `HF_ENDPOINT`, `HF_TOKEN`,
/// `HF_HUB_OFFLINE`), torch.hub's (`TORCH_HOME`) and pip's (`PIP_INDEX_URL`, pip.conf,
/// `PIP_FIND_LINKS`), plus AGFAS's own models folder (`AGFAS_HOME`).
public struct ModelEnvironment: Sendable, Equatable {
  /// The hub's base URL (`HF_ENDPOINT`).
  public var hubEndpoint: String
  /// huggingface_hub's cache: `models--org--name/{blobs,snapshots,refs}` under it.
  public var hubCache: String
  /// Sent as a bearer token to the hub only (`HF_TOKEN`, else the token file `huggingface-cli
  /// login` writes).
  public var hubToken: String?
  /// No network at all (`HF_HUB_OFFLINE`): everything must come from the caches.
  public var offline: Bool
  /// torch.hub's checkpoint folder, where torchvision keeps downloaded weights.
  public var torchCheckpoints: String
  /// The folder in the reference's `model/` layout that every command reads by default.
  public var modelsFolder: String
  /// Lock files of AGFAS's own downloads (torchvision's file, wheels).
  public var locks: String
  /// pip's simple index, when configured (`PIP_INDEX_URL`, pip.conf's `index-url`).
  public var pythonIndex: String?
  /// Local folders searched for wheels first: pip's (`PIP_FIND_LINKS`, pip.conf) and
  /// `$AGFAS_HOME/wheels`.
  public var findLinks: [String]

  public static let defaultHubEndpoint = "https://huggingface.co"

  public init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
    func value(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
    let home = value("HOME") ?? NSHomeDirectory()
    let cache = value("XDG_CACHE_HOME") ?? home + "/.cache"
    let hfHome = value("HF_HOME") ?? cache + "/huggingface"
    hubEndpoint = (value("HF_ENDPOINT") ?? Self.defaultHubEndpoint).trimmingSuffix("/")
    hubCache = value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE") ?? hfHome + "/hub"
    let tokenFile = value("HF_TOKEN_PATH") ?? hfHome + "/token"
    hubToken =
      value("HF_TOKEN")
      ?? (try? String(contentsOfFile: tokenFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
      .nonEmpty
    offline = ["1", "on", "yes", "true"].contains((value("HF_HUB_OFFLINE") ?? "").lowercased())
    torchCheckpoints = (value("TORCH_HOME") ?? cache + "/torch") + "/hub/checkpoints"
    let agfasHome = value("AGFAS_HOME") ?? cache + "/agfas"
    modelsFolder = agfasHome + "/models"
    locks = agfasHome + "/.locks"
    let pip = PipConfiguration(environment: env, home: home)
    pythonIndex = pip.indexURL
    // scripts/setup.sh has pip put the wheels there, by name, from the index pip knows.
    findLinks = pip.findLinks + [agfasHome + "/wheels"]
  }
}

/// The two pip settings AGFAS follows, read as pip reads them: environment first, then the
/// configuration files from the most general to the most specific, later ones winning.
struct PipConfiguration {
  var indexURL: String?
  var findLinks: [String] = []

  init(environment env: [String: String], home: String) {
    var files = ["/etc/pip.conf", "/etc/xdg/pip/pip.conf", home + "/.pip/pip.conf", home + "/.config/pip/pip.conf"]
    if let extra = env["PIP_CONFIG_FILE"], !extra.isEmpty { files.append(extra) }
    for file in files {
      guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
      let values = Self.parse(text, sections: ["global", "download"])
      if let url = values["index-url"] { indexURL = url }
      if let links = values["find-links"] { findLinks = links.split(whereSeparator: \.isWhitespace).map(String.init) }
    }
    if let url = env["PIP_INDEX_URL"], !url.isEmpty { indexURL = url }
    if let links = env["PIP_FIND_LINKS"], !links.isEmpty {
      findLinks = links.split(whereSeparator: \.isWhitespace).map(String.init)
    }
  }

  /// `key = value` lines of the given INI sections (continuation lines joined).
  static func parse(_ text: String, sections: Set<String>) -> [String: String] {
    var values: [String: String] = [:]
    var section = ""
    var lastKey: String?
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      if line.hasPrefix("[") && line.hasSuffix("]") {
        section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        lastKey = nil
      } else if raw.first?.isWhitespace == true, let key = lastKey, sections.contains(section) {
        values[key, default: ""] += " " + line
      } else if let eq = line.firstIndex(where: { $0 == "=" || $0 == ":" }), sections.contains(section) {
        let key = line[..<eq].trimmingCharacters(in: .whitespaces)
        values[key] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        lastKey = key
      }
    }
    return values
  }
}

extension String {
  func trimmingSuffix(_ suffix: String) -> String {
    var s = self
    while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
    return s
  }

  var nonEmpty: String? { isEmpty ? nil : self }
}
