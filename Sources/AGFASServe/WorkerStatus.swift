import AGFASCheck
import Foundation

/// What the worker tells the routes: whether the models are loaded, how far each running
/// check is, and how long a face takes (for `Retry-After`). Shared across threads under a lock.
final class WorkerStatus: @unchecked Sendable {
  private let lock = NSLock()
  private var _check: LivenessCheck?
  private var _loadFailure: String?
  private var _steps: [String: (step: Int, of: Int)] = [:]
  private var _secondsPerFace: Double?

  var ready: Bool { lock.withLock { _check != nil } }
  /// The loaded models, once they are.
  var check: LivenessCheck? { lock.withLock { _check } }
  var loadFailure: String? { lock.withLock { _loadFailure } }
  var secondsPerFace: Double? { lock.withLock { _secondsPerFace } }

  func loaded(_ check: LivenessCheck) { lock.withLock { _check = check } }
  func failedToLoad(_ reason: String) { lock.withLock { _loadFailure = reason } }

  func step(of id: String) -> (step: Int, of: Int)? { lock.withLock { _steps[id] } }
  func setStep(_ ids: [String], step: Int, of: Int) {
    lock.withLock { for id in ids { _steps[id] = (step, of) } }
  }
  func clearSteps(_ ids: [String]) { lock.withLock { for id in ids { _steps[id] = nil } } }

  /// A moving average, so one slow batch does not swing the estimate.
  func measured(faces: Int, seconds: Double) {
    guard faces > 0 else { return }
    let perFace = seconds / Double(faces)
    lock.withLock { _secondsPerFace = _secondsPerFace.map { 0.7 * $0 + 0.3 * perFace } ?? perFace }
  }

  /// Seconds until `checks` queued checks would be done, for `Retry-After`.
  func estimatedSeconds(checks: Int) -> Int {
    Int(((secondsPerFace ?? 30) * Double(max(1, checks))).rounded(.up))
  }
}
