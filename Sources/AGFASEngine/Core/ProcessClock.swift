import Foundation

/// Time since this process was started by the kernel (exec), not since `main`: start-up costs
/// that users wait for (loading a 100 MB binary, dynamic linking) count too.
public enum ProcessClock {
  /// Seconds since the process started, from /proc (10 ms resolution); nil where /proc is
  /// unreadable.
  public static var secondsSinceLaunch: Double? {
    // Field 22 of /proc/self/stat is the start time in clock ticks after boot; the command
    // name (field 2) is in parentheses and may hold spaces, so count from the last ')'.
    guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")"),
      let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
      let now = uptime.split(separator: " ").first.flatMap({ Double($0) })
    else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After ')': state is field 3, so start time (field 22) is at index 19.
    guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
    return now - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
  }
}
