import AGFASModels
import ArgumentParser
import Foundation

struct Models: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fetch the released models and show which are present.",
    discussion: """
      The models folder ($AGFAS_HOME/models, default ~/.cache/agfas/models; --models to choose \
      another) holds the reference's model/ layout that every command reads by default. Hub \
      files go into the Hugging Face cache (HF_HUB_CACHE or HF_HOME), shared with diffusers \
      and transformers; torchvision's file into TORCH_HOME/hub/checkpoints. See docs/models.md.
      """,
    subcommands: [ModelsFetch.self, ModelsList.self])
}

/// Options every `models` subcommand shares.
struct ModelsOptions: ParsableArguments {
  @Option(help: "The models folder (default: $AGFAS_HOME/models, else ~/.cache/agfas/models).")
  var models: String?
  @Option(help: "A models manifest to use instead of the built-in one (also: AGFAS_MODELS_MANIFEST).")
  var manifest: String?

  func load() throws -> (ModelManifest, ModelsFolder) {
    (try ModelManifest.load(path: manifest), ModelsFolder(models))
  }
}

struct ModelsFetch: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fetch",
    abstract: "Download what the pipeline needs (sets: dfg, oanet-init, mtcnn, examples; default all).",
    discussion: """
      Every file is verified against its SHA-256 (the hub's ETag, the manifest's hash or \
      torchvision's hash prefix) before it is moved into place; an interrupted download resumes \
      where it stopped when run again. Honours HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, \
      HF_HUB_CACHE/HF_HOME, TORCH_HOME and pip's PIP_INDEX_URL/PIP_FIND_LINKS.
      """)

  @OptionGroup var options: ModelsOptions
  @Flag(help: "Do not ask before a download over 1 GB.")
  var yes = false
  @Argument(help: "Sets to fetch (default: all).")
  var sets: [String] = []

  func run() throws {
    let (manifest, folder) = try options.load()
    try fetchModels(sets: sets, manifest: manifest, folder: folder, yes: yes)
  }
}

struct ModelsList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "Show each model item: present or missing, and where.")

  @OptionGroup var options: ModelsOptions
  @Flag(help: "One JSON object per item instead of the table.")
  var json = false

  func run() throws {
    let (manifest, folder) = try options.load()
    if !json { print("models folder: \(folder.path)") }
    var missing = 0
    for set in manifest.sets {
      for item in manifest.items where item.set == set.name {
        let status = folder.status(of: item)
        if !status.isPresent { missing += 1 }
        if json {
          let object: [String: Any] = [
            "item": item.name, "set": item.set, "present": status.isPresent, "path": status.path,
            "link": status.linkTarget as Any, "missing": status.missing,
          ]
          let data = try JSONSerialization.data(
            withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
          print(String(decoding: data, as: UTF8.self))
        } else {
          let state = status.isPresent ? "present" : "MISSING \(status.missing.joined(separator: ", "))"
          print(
            "\(set.name)\t\(item.name)\t\(state)\t\(status.linkTarget.map { "\(status.path) -> \($0)" } ?? status.path)"
          )
        }
      }
    }
    if !json && missing > 0 { print("\(missing) missing: agfas models fetch [SET...] downloads them") }
  }
}

/// Plans, asks (over 1 GB, unless `yes`), downloads with progress and places the sets' items;
/// shared by `models fetch` and the commands that fetch what they lack (`check --example`).
func fetchModels(sets: [String], manifest: ModelManifest, folder: ModelsFolder, yes: Bool) throws {
  let fetcher = ModelFetcher(manifest: manifest, folder: folder)
  let progress = DownloadProgress()
  try runAsync {
    do {
      let plan = try await fetcher.plan(sets: sets)
      let todo = plan.items.filter { !$0.present }
      guard !todo.isEmpty else {
        stderr("everything asked for is in \(folder.path)")
        await fetcher.shutdown()
        return
      }
      for entry in todo {
        let size = entry.downloadBytes.map { $0 == 0 ? "cached" : byteCount($0) } ?? "size unknown"
        stderr("  \(entry.item.name): \(entry.item.about) (\(size))")
      }
      if plan.downloadBytes > 1_000_000_000 && !yes {
        try confirm("Download \(byteCount(plan.downloadBytes)) into the caches?")
      }
      try await fetcher.fetch(plan) { progress.handle($0) }
      await fetcher.shutdown()
    } catch {
      await fetcher.shutdown()
      throw error
    }
  }
}

/// Asks on the terminal; without one, says how to agree up front.
func confirm(_ question: String) throws {
  guard isatty(STDIN_FILENO) == 1 else {
    throw ValidationError("\(question) Not asked without a terminal: pass --yes to agree")
  }
  FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
  guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
    throw ValidationError("nothing downloaded")
  }
}

/// Download progress on standard error: bytes, rate and ETA, live on a terminal and every few
/// seconds in a log.
final class DownloadProgress: @unchecked Sendable {
  private let lock = NSLock()
  private let status = StatusLine()
  private var started: [String: (time: UInt64, from: Int64)] = [:]
  private var lastLog: UInt64 = 0

  func handle(_ event: FetchEvent) {
    lock.lock()
    defer { lock.unlock() }
    let now = DispatchTime.now().uptimeNanoseconds
    switch event {
    case .reused(let file, let path): stderr("cached: \(file) (\(path))")
    case .downloading(let file, let size, let from):
      started[file] = (now, from)
      let total = size.map { " of \(byteCount($0))" } ?? ""
      stderr(from > 0 ? "resuming \(file) at \(byteCount(from))\(total)" : "downloading \(file)\(total)")
    case .progress(let file, let bytes, let size):
      guard status.live || now - lastLog > 5_000_000_000 else { return }
      lastLog = now
      let (t0, from) = started[file] ?? (now, 0)
      let rate = Double(bytes - from) / max(Double(now - t0) / 1e9, 1e-3)
      var line = "  \(file): \(byteCount(bytes))"
      if let size {
        let eta = rate > 0 ? Int(Double(size - bytes) / rate) : 0
        line +=
          " of \(byteCount(size)) (\(bytes * 100 / max(size, 1))%), \(byteCount(Int64(rate)))/s, ETA \(eta / 60)m\(eta % 60)s"
      } else {
        line += ", \(byteCount(Int64(rate)))/s"
      }
      status.show(line)
    case .downloaded(let file, let bytes):
      if status.live { status.show("") }
      stderr("\(status.live ? "\r" : "")verified: \(file) (\(byteCount(bytes)))")
    case .placed(let item, let path): stderr("ready: \(item) -> \(path)")
    case .note(let line): stderr(line)
    }
  }
}

/// Runs async work from a synchronous command and waits for it.
func runAsync(_ body: @escaping @Sendable () async throws -> Void) throws {
  let done = DispatchSemaphore(value: 0)
  let result = LockedResult()
  Task {
    do { try await body() } catch { result.error = error }
    done.signal()
  }
  done.wait()
  if let error = result.error { throw error }
}

private final class LockedResult: @unchecked Sendable {
  var error: Error?
}
