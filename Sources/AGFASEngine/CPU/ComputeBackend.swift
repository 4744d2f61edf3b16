import CDNNL
import Foundation
import Synchronization

/// What the CPU backend runs on: the instruction-set level oneDNN uses, how bf16 is computed,
/// the threads. `agfas doctor` prints it; `--precision auto` decides with it.
public enum ComputeBackend {
  /// How bf16 ops are computed on this machine.
  public enum BF16Support: String, Sendable {
    /// bf16 instructions (AVX512_BF16 or AMX): bf16 is about twice as fast as fp32.
    case native
    /// oneDNN's bf16 kernels without bf16 instructions (AVX-512 without AVX512_BF16): correct,
    /// no faster than fp32.
    case oneDNNEmulated = "emulated by oneDNN"
    /// No bf16 kernels (below AVX-512): fp32 kernels on bf16 values, rounded once per op.
    case engineEmulated = "emulated by the engine"
  }

  /// The instruction-set level oneDNN dispatches to (capped by `ONEDNN_MAX_CPU_ISA`), in
  /// words with the name `ONEDNN_MAX_CPU_ISA` takes, e.g. "AVX-512 with bf16
  /// (AVX512_CORE_BF16)" or "AVX2".
  public static var isa: String {
    isaName(String(cString: dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa())))
  }

  /// oneDNN's name of a level ("cpu_isa_avx512_core_bf16") as `isa` gives it.
  static func isaName(_ oneDNNName: String) -> String {
    guard oneDNNName.hasPrefix("cpu_isa_") else { return oneDNNName }
    let name = oneDNNName.dropFirst("cpu_isa_".count).uppercased()
    let words = [
      "SSE41": "SSE4.1", "AVX2_VNNI": "AVX2 with VNNI", "AVX512_CORE": "AVX-512",
      "AVX512_CORE_VNNI": "AVX-512 with VNNI", "AVX512_CORE_BF16": "AVX-512 with bf16",
      "AVX512_CORE_AMX": "AVX-512 with bf16 and AMX",
    ]
    return words[name].map { "\($0) (\(name))" } ?? name
  }

  /// The variable capping oneDNN's instruction-set level and its value, e.g.
  /// ("ONEDNN_MAX_CPU_ISA", "AVX2"), when it is in effect: oneDNN runs at that level. nil when
  /// neither it nor the older `DNNL_MAX_CPU_ISA` is set, or when oneDNN did not apply it
  /// (`isaCapIgnored`). oneDNN reads it once, when it first dispatches.
  public static var isaCap: (variable: String, value: String)? {
    guard let cap = isaCapSet, cap.value.uppercased() == effectiveLevelName else { return nil }
    return cap
  }

  /// The cap variable and value when one is set but oneDNN runs at another level: a level
  /// above this CPU, "ALL", or a name oneDNN does not know (which it ignores silently).
  public static var isaCapIgnored: (variable: String, value: String)? {
    guard let cap = isaCapSet, cap.value.uppercased() != effectiveLevelName else { return nil }
    return cap
  }

  private static var isaCapSet: (variable: String, value: String)? {
    for name in ["ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"] {
      if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty { return (name, value) }
    }
    return nil
  }

  /// The level oneDNN runs at, as the cap variable names it ("AVX2", "AVX512_CORE_BF16").
  private static var effectiveLevelName: String {
    String(cString: dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa())).replacing("cpu_isa_", with: "").uppercased()
  }

  /// Whether the level includes the bf16 instructions (AVX512_BF16; AMX implies them).
  private static var hasBF16Instructions: Bool {
    let isa = dnnl_get_effective_cpu_isa().rawValue
    let bf16 = dnnl_cpu_isa_avx512_core_bf16.rawValue
    return isa & bf16 == bf16
  }

  public static var bf16: BF16Support {
    if DNNLContext.shared.emulatesBF16 { return .engineEmulated }
    return hasBF16Instructions ? .native : .oneDNNEmulated
  }

  /// What `--precision auto` computes in, and why in a few words.
  public struct PrecisionChoice: Sendable, Equatable {
    public let dtype: DType
    /// E.g. "this CPU has native bf16: AVX-512 with bf16 (AVX512_CORE_BF16)".
    public let reason: String
  }

  /// bf16 where this CPU computes it natively (AVX512_BF16 or AMX at the level oneDNN uses),
  /// fp32 where bf16 would only be emulated and so no faster.
  public static var autoPrecision: PrecisionChoice { autoPrecision(bf16: bf16, isa: isa) }

  /// The `autoPrecision` decision for a given bf16 support at instruction-set level `isa`.
  public static func autoPrecision(bf16: BF16Support, isa: String) -> PrecisionChoice {
    switch bf16 {
    case .native:
      PrecisionChoice(dtype: .bfloat16, reason: "this CPU has native bf16: \(isa)")
    case .oneDNNEmulated, .engineEmulated:
      PrecisionChoice(dtype: .float32, reason: "bf16 would be \(bf16.rawValue) here: no AVX512_BF16 at \(isa)")
    }
  }

  /// oneDNN's version, e.g. "2.6.3".
  public static var oneDNNVersion: String {
    let v = dnnl_version().pointee
    return "\(v.major).\(v.minor).\(v.patch)"
  }

  /// Threads of the engine's own loops; oneDNN's OpenMP pool has as many.
  public static var threads: Int { engineThreadCount }

  /// The CPU's model name as the kernel reports it ("unknown" where /proc/cpuinfo is absent).
  public static var cpuModel: String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
      let colon = line.firstIndex(of: ":")
    else { return "unknown" }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
  }

  /// Runs `body` and returns, with its result, the oneDNN implementation of every primitive
  /// it ran, as "op: implementation" (e.g. "conv2d: brgconv:avx512_core"; a reorder under the
  /// op that asked for it, e.g. "relayout: jit:uni"): what tests read to
  /// prove that no reference kernel runs on a hot path.
  public static func recordingKernels<T>(_ body: () throws -> T) rethrows -> (result: T, kernels: Set<String>) {
    kernelLog.withLock { $0 = [] }
    recording.store(true, ordering: .relaxed)
    defer { recording.store(false, ordering: .relaxed) }
    let result = try body()
    return (result, kernelLog.withLock { $0 })
  }

  static let recording = Atomic<Bool>(false)
  static let kernelLog = Mutex<Set<String>>([])
}
