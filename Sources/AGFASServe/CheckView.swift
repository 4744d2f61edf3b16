import Foundation

/// A check as `GET /v1/checks/{id}` returns it (the `Check` schema of openapi.json).
struct CheckView: Encodable {
  var id: String
  var status: CheckState
  /// Checks ahead of it while queued.
  var position: Int?
  /// UNet steps done and to do while running (0 of 0 while its faces are found).
  var step: Int?
  var steps: Int?
  var acceptedAt: Date
  var startedAt: Date?
  var finishedAt: Date?
  /// When a finished check and its images are deleted.
  var expiresAt: Date?
  var error: String?
  var faces: [FaceView]?

  enum CodingKeys: String, CodingKey {
    case id, status, position, step, steps, error, faces
    case acceptedAt = "accepted_at"
    case startedAt = "started_at"
    case finishedAt = "finished_at"
    case expiresAt = "expires_at"
  }

  init(_ record: CheckRecord, position: Int?, progress: (step: Int, of: Int)?, retain: Double) throws {
    id = record.id
    status = record.state
    self.position = record.state == .queued ? position : nil
    if record.state == .running {
      step = progress?.step ?? 0
      steps = progress?.of ?? 0
    }
    acceptedAt = record.acceptedAt
    startedAt = record.startedAt
    finishedAt = record.finishedAt
    expiresAt = record.finishedAt?.addingTimeInterval(retain)
    error = record.error
    faces = try record.decodedFaces()?.map { FaceView(result: $0, check: record.id) }
  }

  /// Writes `null` for absent values, so clients see every key of the schema.
  func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(id, forKey: .id)
    try c.encode(status, forKey: .status)
    try c.encode(position, forKey: .position)
    try c.encode(step, forKey: .step)
    try c.encode(steps, forKey: .steps)
    try c.encode(acceptedAt, forKey: .acceptedAt)
    try c.encode(startedAt, forKey: .startedAt)
    try c.encode(finishedAt, forKey: .finishedAt)
    try c.encode(expiresAt, forKey: .expiresAt)
    try c.encode(error, forKey: .error)
    try c.encode(faces, forKey: .faces)
  }
}

/// A face with the links to its images.
struct FaceView: Encodable {
  var result: FaceResult
  var check: String

  enum CodingKeys: String, CodingKey { case images }

  func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: FaceResult.CodingKeys.self)
    try c.encode(result.face, forKey: .face)
    try c.encode(result.box, forKey: .box)
    try c.encode(result.landmarks, forKey: .landmarks)
    try c.encode(result.score, forKey: .score)
    try c.encode(result.pLive, forKey: .pLive)
    try c.encode(result.label, forKey: .label)
    try c.encode(result.threshold, forKey: .threshold)
    try c.encode(result.cue, forKey: .cue)
    var images = encoder.container(keyedBy: CodingKeys.self)
    let base = "/v1/checks/\(check)/faces/\(result.face)"
    try images.encode(
      [
        "aligned": "\(base)/aligned.png", "reconstruction": "\(base)/reconstruction.png", "cue": "\(base)/cue.png",
      ], forKey: .images)
  }
}

/// `POST /v1/predict`'s answer.
struct PredictionView: Encodable {
  var pLive: Double
  var label: String
  var threshold: Double

  enum CodingKeys: String, CodingKey {
    case label, threshold
    case pLive = "p_live"
  }
}
