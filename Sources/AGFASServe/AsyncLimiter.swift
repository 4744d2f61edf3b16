import Foundation

/// At most `limit` bodies run at once; the others wait their turn in arrival order. A lock
/// would let a thread starve (seen: a `/v1/predict` waiting 27 s behind 63 others), and an
/// upload that waits here has not read its body yet, so memory stays bounded however many
/// clients send at once.
actor AsyncLimiter {
  private var available: Int
  private var waiting: [CheckedContinuation<Void, Never>] = []

  init(_ limit: Int) {
    available = limit
  }

  private func acquire() async {
    if available > 0 {
      available -= 1
      return
    }
    await withCheckedContinuation { waiting.append($0) }
  }

  private func release() {
    if waiting.isEmpty {
      available += 1
    } else {
      waiting.removeFirst().resume()
    }
  }

  nonisolated func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
    await acquire()
    do {
      let value = try await body()
      await release()
      return value
    } catch {
      await release()
      throw error
    }
  }
}
