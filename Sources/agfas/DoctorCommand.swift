import AGFASEngine
import ArgumentParser
import Foundation

struct Doctor: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show what this machine computes with: CPU, oneDNN's ISA level, bf16 support, threads.",
    discussion: """
      Prints the CPU model, the instruction-set level oneDNN dispatches to (and the \
      ONEDNN_MAX_CPU_ISA cap, if set), oneDNN's version, how bf16 is computed (native, \
      emulated by oneDNN, or emulated by the engine in fp32) and what --precision auto picks \
      here, the threads, and the OpenMP variables that change speed (OMP_WAIT_POLICY, \
      OMP_NUM_THREADS). --json prints the same as one JSON object.
      """)

  @Flag(help: "Print one JSON object instead of lines.")
  var json = false

  /// What doctor reports, in the order it prints it.
  struct Report: Encodable {
    var cpuModel: String
    var isa: String
    /// "ONEDNN_MAX_CPU_ISA=AVX2" when the level is capped by the environment.
    var isaCap: String?
    /// "ONEDNN_MAX_CPU_ISA=FOO" when the variable is set but oneDNN runs at another level.
    var isaCapIgnored: String?
    var oneDNNVersion: String
    var bf16: String
    var autoPrecision: String
    var autoPrecisionReason: String
    var threads: Int
    /// The user's OMP_WAIT_POLICY; nil when unset (agfas then runs itself with PASSIVE).
    var ompWaitPolicy: String?
    var ompWaitPolicyInEffect: String?
    var ompNumThreads: String?

    enum CodingKeys: String, CodingKey {
      case cpuModel = "cpu_model"
      case isa
      case isaCap = "isa_cap"
      case isaCapIgnored = "isa_cap_ignored"
      case oneDNNVersion = "onednn_version"
      case bf16
      case autoPrecision = "auto_precision"
      case autoPrecisionReason = "auto_precision_reason"
      case threads
      case ompWaitPolicy = "omp_wait_policy"
      case ompWaitPolicyInEffect = "omp_wait_policy_in_effect"
      case ompNumThreads = "omp_num_threads"
    }

    /// Keys with nil values are written as null, so scripts find every key.
    func encode(to encoder: Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(cpuModel, forKey: .cpuModel)
      try c.encode(isa, forKey: .isa)
      try c.encode(isaCap, forKey: .isaCap)
      try c.encode(isaCapIgnored, forKey: .isaCapIgnored)
      try c.encode(oneDNNVersion, forKey: .oneDNNVersion)
      try c.encode(bf16, forKey: .bf16)
      try c.encode(autoPrecision, forKey: .autoPrecision)
      try c.encode(autoPrecisionReason, forKey: .autoPrecisionReason)
      try c.encode(threads, forKey: .threads)
      try c.encode(ompWaitPolicy, forKey: .ompWaitPolicy)
      try c.encode(ompWaitPolicyInEffect, forKey: .ompWaitPolicyInEffect)
      try c.encode(ompNumThreads, forKey: .ompNumThreads)
    }

    static var current: Report {
      let env = ProcessInfo.processInfo.environment
      let choice = ComputeBackend.autoPrecision
      let waitPolicy = env["OMP_WAIT_POLICY"]
      let userWaitPolicy = Entry.setPassiveOpenMP ? nil : waitPolicy
      return Report(
        cpuModel: ComputeBackend.cpuModel, isa: ComputeBackend.isa,
        isaCap: ComputeBackend.isaCap.map { "\($0.variable)=\($0.value)" },
        isaCapIgnored: ComputeBackend.isaCapIgnored.map { "\($0.variable)=\($0.value)" },
        oneDNNVersion: ComputeBackend.oneDNNVersion,
        bf16: ComputeBackend.bf16.rawValue, autoPrecision: precisionName(choice.dtype),
        autoPrecisionReason: choice.reason, threads: ComputeBackend.threads, ompWaitPolicy: userWaitPolicy,
        ompWaitPolicyInEffect: waitPolicy, ompNumThreads: env["OMP_NUM_THREADS"])
    }

    var lines: [(String, String)] {
      var rows: [(String, String)] = [
        ("CPU", cpuModel),
        (
          "ISA level",
          isa + (isaCap.map { ", capped by \($0)" } ?? "")
            + (isaCapIgnored.map {
              "; \($0) has no effect (a level above this CPU, ALL, or a name oneDNN does not know)"
            } ?? "")
        ),
        ("oneDNN", oneDNNVersion),
        ("bf16", bf16),
        ("--precision auto", "\(autoPrecision) (\(autoPrecisionReason))"),
        ("threads", String(threads)),
      ]
      if let ompWaitPolicy {
        rows.append(("OMP_WAIT_POLICY", ompWaitPolicy))
      } else {
        var text = "unset (OpenMP default: waiting threads spin a while, then sleep)"
        if let ompWaitPolicyInEffect { text += "; agfas runs with \(ompWaitPolicyInEffect)" }
        rows.append(("OMP_WAIT_POLICY", text))
      }
      if let ompNumThreads { rows.append(("OMP_NUM_THREADS", ompNumThreads + " (oneDNN's OpenMP threads)")) }
      return rows
    }
  }

  func run() throws {
    let report = Report.current
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    } else {
      let width = report.lines.map(\.0.count).max() ?? 0
      for (name, value) in report.lines {
        print(name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + value)
      }
    }
  }
}
