import AGFASCheckpoint
import AGFASDiffusion
import AGFASEngine
import AGFASEvaluation
import AGFASImage
import AGFASJSON
import Foundation

/// One parser fed arbitrary bytes. Errors are the expected outcome of bad input; only a trap,
/// a hang or runaway memory is a defect, which the fuzzer (libFuzzer, or `agfas-fuzz`'s own
/// mutation driver) reports.
public struct FuzzTarget: Sendable {
  public var name: String
  /// Which test fixtures seed its corpus (file name suffixes, under Tests/).
  public var seeds: [String]
  public var run: @Sendable (Data) -> Void

  /// Every parser of files a user can hand to agfas.
  public static let all: [FuzzTarget] = [
    FuzzTarget(name: "safetensors", seeds: [".safetensors"]) { data in
      withScratchFile(data, name: "x.safetensors") { path in
        let file = try SafeTensorsFile(path: path)
        _ = try file.tensors()
      }
    },
    FuzzTarget(name: "torch", seeds: [".pth", ".pt", ".bin"]) { data in
      withScratchFile(data, name: "x.pth") { path in
        for (_, tensor) in try Checkpoint.load(path: path).namedTensors() { _ = try tensor.load() }
      }
    },
    FuzzTarget(name: "pickle", seeds: [".pkl"]) { data in
      _ = try? Unpickler.load([UInt8](data))
    },
    FuzzTarget(name: "model-folder-index", seeds: [".index.json"]) { data in
      withScratchFolder { folder in
        try data.write(to: URL(fileURLWithPath: folder + "/model.safetensors.index.json"))
        _ = try StateDict.listing(path: folder)
        _ = try StateDict.load(path: folder)
      }
    },
    FuzzTarget(name: "png", seeds: [".png"]) { data in
      _ = try? Image(decoding: [UInt8](data), limits: ImageLimits(maxPixels: 4_000_000))
    },
    FuzzTarget(name: "jpeg", seeds: [".jpg"]) { data in
      // JPEG decoding reads the EXIF orientation too.
      _ = try? Image(decoding: [UInt8](data), limits: ImageLimits(maxPixels: 4_000_000))
    },
    FuzzTarget(name: "config", seeds: ["config.json"]) { data in
      withScratchFile(data, name: "config.json") { path in
        if let scheduler = try? SchedulerConfig.load(path) {
          let s = try makeScheduler(scheduler, kind: nil)
          try s.setTimesteps(50)
        }
        _ = try? UNetConfig.load(path)
        _ = try? AutoencoderKLConfig.load(path)
      }
    },
    FuzzTarget(name: "scores", seeds: [".tsv", ".csv"]) { data in
      guard let text = String(data: data, encoding: .utf8),
        let file = try? ScoreFile(text: text, source: "fuzz"), let frames = try? file.frames()
      else { return }
      _ = try? EvaluationReport(frames: frames)
    },
    FuzzTarget(name: "labels", seeds: ["label.json", "labels.json"]) { data in
      _ = try? LabelFile.parse(data, source: "fuzz")
    },
    // The scanner every JSON reader goes through (model and OA-Net configs, shard indexes).
    FuzzTarget(name: "json", seeds: [".json"]) { data in
      _ = StrictJSON.scan(data)
    },
  ]

  public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// A per-process scratch folder in memory (/dev/shm where it exists), so path-based readers can
/// be fuzzed thousands of times a second.
let scratchRoot: String = {
  let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
  let root = base + "/agfas-fuzz-\(getpid())"
  try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
  return root
}()

func withScratchFile(_ data: Data, name: String, _ body: (String) throws -> Void) {
  let path = scratchRoot + "/" + name
  guard (try? data.write(to: URL(fileURLWithPath: path))) != nil else { return }
  _ = try? body(path)
}

func withScratchFolder(_ body: (String) throws -> Void) {
  let folder = scratchRoot + "/folder"
  try? FileManager.default.removeItem(atPath: folder)
  try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  _ = try? body(folder)
}
