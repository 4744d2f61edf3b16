import Foundation

/// This process's resident memory as Linux reports it in /proc/self/status: what `agfas
/// reconstruct --stats` and the benches report, and what memory goals are stated in.
public enum ProcessMemory {
  /// Peak resident set (VmHWM) in bytes; 0 where /proc is unreadable.
  public static var peakResidentBytes: Int { statusField("VmHWM:") }

  /// Current resident set (VmRSS) in bytes; 0 where /proc is unreadable.
  public static var residentBytes: Int { statusField("VmRSS:") }

  /// Returns freed heap to the system and restarts the peak from the current resident set
  /// (/proc/self/clear_refs "5"), so a measurement does not count an earlier phase's memory.
  public static func resetPeak() {
    // glibc's malloc_trim (malloc.h is not in Swift's Glibc module).
    if let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") {
      _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
    }
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
  }

  /// A field of this process's (`pid` nil) or another's /proc status file, in bytes.
  public static func statusField(_ name: String, pid: Int32? = nil) -> Int {
    kilobyteField(name, file: "/proc/\(pid.map(String.init) ?? "self")/status")
  }

  /// A "Name:   1234 kB" line of a /proc file (status, meminfo), in bytes; 0 where absent.
  public static func kilobyteField(_ name: String, file path: String) -> Int {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
      let kb = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap({ Int($0) })
    else { return 0 }
    return kb * 1024
  }
}
