import AGFASCheck
import Foundation
import GRDB

/// Where a check is: accepted and waiting, on the worker, finished with faces, or failed.
public enum CheckState: String, Codable, Sendable, DatabaseValueConvertible {
  case queued, running, done, failed

  var isFinished: Bool { self == .done || self == .failed }
}

/// One face of a finished check, as the API returns it (docs/serve.md, openapi.json).
public struct FaceResult: Codable, Sendable, Equatable {
  /// Its place in MTCNN's order, as `agfas check` numbers faces.
  public var face: Int
  /// x1, y1, x2, y2 in the photo's pixels.
  public var box: [Double]
  /// Eyes, nose, mouth corners: five [x, y].
  public var landmarks: [[Double]]
  /// MTCNN's face probability.
  public var score: Double
  /// P(live); nil when the server has no OA-Net.
  public var pLive: Double?
  /// "live" or "spoof" at `threshold`; nil without OA-Net.
  public var label: String?
  public var threshold: Double?
  public var cue: CueStatistics

  enum CodingKeys: String, CodingKey {
    case face, box, landmarks, score, label, threshold, cue
    case pLive = "p_live"
  }

  init(_ face: LivenessCheck.Face) {
    let d = face.detection
    self.face = face.index
    box = [d.box.x1, d.box.y1, d.box.x2, d.box.y2].map(Double.init)
    landmarks = d.landmarks.map { [Double($0.x), Double($0.y)] }
    score = Double(d.score)
    pLive = face.prediction.map { Double($0.pLive) }
    label = face.prediction?.label
    threshold = face.prediction.map { Double($0.threshold) }
    cue = face.cue.statistics
  }
}

/// A row of the `checks` table: one uploaded photo and what became of it.
struct CheckRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
  static let databaseTableName = "checks"

  /// Acceptance order; the queue runs in it.
  var seq: Int64?
  /// The public id: 128 random bits, hex.
  var id: String
  /// The API key's client name ("anonymous" without keys).
  var client: String
  var state: CheckState
  var acceptedAt: Date
  var startedAt: Date?
  var finishedAt: Date?
  /// Times the worker took it; a check interrupted `maxAttempts` times fails.
  var attempts: Int
  /// Why it failed, in words fit for a client (no paths).
  var error: String?
  /// JSON of [FaceResult] once done.
  var faces: String?

  mutating func didInsert(_ inserted: InsertionSuccess) {
    seq = inserted.rowID
  }

  func decodedFaces() throws -> [FaceResult]? {
    guard let faces else { return nil }
    return try JSONDecoder().decode([FaceResult].self, from: Data(faces.utf8))
  }
}
