import AGFASFuzzTargets
import Foundation

/// Runs one fuzz target (`AGFAS_FUZZ_TARGET`, or the first argument): under libFuzzer when built
/// by `scripts/fuzz.sh` (`-sanitize=fuzzer -DFUZZING`), else replaying the files or folders
/// given (regression inputs, a corpus) through it.
@main
enum FuzzDriver {
  static func main() {
    #if FUZZING
      if ProcessInfo.processInfo.environment["AGFAS_FUZZ_TARGET"] == "list" {
        // For scripts/fuzz.sh: each target with the fixture suffixes that seed it.
        for target in FuzzTarget.all { print(([target.name] + target.seeds).joined(separator: " ")) }
        exit(0)
      }
      guard let name = ProcessInfo.processInfo.environment["AGFAS_FUZZ_TARGET"], let target = FuzzTarget.named(name)
      else {
        fail("set AGFAS_FUZZ_TARGET to one of: " + FuzzTarget.all.map(\.name).joined(separator: ", "))
      }
      fuzzedTarget = target
      var argc = CommandLine.argc
      var argv = CommandLine.unsafeArgv
      exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
    #else
      let args = Array(CommandLine.arguments.dropFirst())
      guard let name = args.first, let target = FuzzTarget.named(name) else {
        fail(
          "usage: agfas-fuzz TARGET FILE|FOLDER... (replays inputs; scripts/fuzz.sh fuzzes). Targets: "
            + FuzzTarget.all.map(\.name).joined(separator: ", "))
      }
      var count = 0
      for path in args.dropFirst() {
        for file in files(path) {
          guard let data = FileManager.default.contents(atPath: file) else { continue }
          target.run(data)
          count += 1
        }
      }
      print("\(name): \(count) inputs replayed, no crash")
    #endif
  }

  static func files(_ path: String) -> [String] {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
      return [path]
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return names.sorted().map { path + "/" + $0 }
  }

  static func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
  }
}

#if FUZZING
  /// The target libFuzzer drives (a C callback cannot capture it).
  nonisolated(unsafe) var fuzzedTarget: FuzzTarget?

  func fuzzOne(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzedTarget?.run(bytes.map { Data(bytes: $0, count: count) } ?? Data())
    return 0
  }

  @_silgen_name("LLVMFuzzerRunDriver")
  func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt
#endif
