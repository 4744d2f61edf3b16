import Foundation
import GRDB

/// The service's memory across restarts: SQLite (WAL) for the checks, a folder per check for
/// its photo and face images. A check is written here before it is acknowledged, and its
/// images are on disk before it is marked done, so a kill at any moment loses nothing accepted.
final class CheckStore: Sendable {
  let database: DatabasePool
  let imagesFolder: URL

  init(folder: String) throws {
    let root = URL(fileURLWithPath: folder, isDirectory: true)
    imagesFolder = root.appendingPathComponent("checks", isDirectory: true)
    do {
      try FileManager.default.createDirectory(at: imagesFolder, withIntermediateDirectories: true)
    } catch {
      throw ServeError.state("cannot create \(imagesFolder.path): \(error.localizedDescription)")
    }
    var configuration = Configuration()
    // A second process on the same folder (a replica misconfigured to share it) waits its turn.
    configuration.busyMode = .timeout(10)
    do {
      database = try DatabasePool(path: root.appendingPathComponent("checks.sqlite").path, configuration: configuration)
      try Self.migrator.migrate(database)
    } catch {
      throw ServeError.state("cannot open \(root.appendingPathComponent("checks.sqlite").path): \(error)")
    }
  }

  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("checks") { db in
      try db.create(table: "checks") { t in
        t.autoIncrementedPrimaryKey("seq")
        t.column("id", .text).notNull().unique()
        t.column("client", .text).notNull()
        t.column("state", .text).notNull().indexed()
        t.column("acceptedAt", .datetime).notNull()
        t.column("startedAt", .datetime)
        t.column("finishedAt", .datetime)
        t.column("attempts", .integer).notNull().defaults(to: 0)
        t.column("error", .text)
        t.column("faces", .text)
      }
    }
    return migrator
  }

  func folder(of id: String) -> URL { imagesFolder.appendingPathComponent(id, isDirectory: true) }
  func photo(of id: String) -> URL { folder(of: id).appendingPathComponent("photo") }
  func faceFolder(of id: String, face: Int) -> URL { folder(of: id).appendingPathComponent("face\(face)") }
  func faceImage(of id: String, face: Int, name: String) -> URL {
    faceFolder(of: id, face: face).appendingPathComponent("\(name).png")
  }

  /// Why an upload is not queued: the client's share or the whole queue is full.
  enum Refusal: Error {
    case clientFull(queued: Int)
    case queueFull(queued: Int)
  }

  /// Stores the photo, then the row, in that order: a row never points at a missing photo.
  /// The limits are checked in the same transaction that inserts, so concurrent uploads
  /// cannot overshoot them.
  func accept(photo bytes: [UInt8], client: String, clientLimit: Int, queueLimit: Int) async throws -> CheckRecord {
    let id = Self.newID()
    let folder = folder(of: id)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try Data(bytes).write(to: photo(of: id), options: .atomic)
    do {
      return try await database.write { db in
        let pending = CheckRecord.filter([CheckState.queued, .running].contains(Column("state")))
        let total = try pending.fetchCount(db)
        guard total < queueLimit else { throw Refusal.queueFull(queued: total) }
        let mine = try pending.filter(Column("client") == client).fetchCount(db)
        guard mine < clientLimit else { throw Refusal.clientFull(queued: mine) }
        var record = CheckRecord(
          seq: nil, id: id, client: client, state: .queued, acceptedAt: Date(), startedAt: nil, finishedAt: nil,
          attempts: 0, error: nil, faces: nil)
        try record.insert(db)
        return record
      }
    } catch {
      try? FileManager.default.removeItem(at: folder)
      throw error
    }
  }

  func check(_ id: String) async throws -> CheckRecord? {
    try await database.read { db in try CheckRecord.filter(Column("id") == id).fetchOne(db) }
  }

  /// Checks queued before this one (0: it runs next).
  func position(of record: CheckRecord) async throws -> Int {
    try await database.read { db in
      try CheckRecord.filter(Column("state") == CheckState.queued && Column("seq") < (record.seq ?? 0)).fetchCount(db)
    }
  }

  func counts() async throws -> (queued: Int, running: Int) {
    try await database.read { db in
      (
        try CheckRecord.filter(Column("state") == CheckState.queued).fetchCount(db),
        try CheckRecord.filter(Column("state") == CheckState.running).fetchCount(db)
      )
    }
  }

  /// After a restart: what was running when the process stopped runs again, unless it has
  /// been interrupted `maxAttempts` times (then it may be what kills the process).
  func requeueInterrupted(maxAttempts: Int) async throws -> (requeued: Int, failed: Int) {
    try await database.write { db in
      let failed = try CheckRecord.filter(Column("state") == CheckState.running && Column("attempts") >= maxAttempts)
        .updateAll(
          db, Column("state").set(to: CheckState.failed), Column("finishedAt").set(to: Date()),
          Column("error").set(to: "interrupted \(maxAttempts) times while running; not tried again"))
      let requeued = try CheckRecord.filter(Column("state") == CheckState.running)
        .updateAll(db, Column("state").set(to: CheckState.queued))
      return (requeued, failed)
    }
  }

  /// Takes the oldest queued checks for the worker.
  func claim(upTo limit: Int) async throws -> [CheckRecord] {
    try await database.write { db in
      var records = try CheckRecord.filter(Column("state") == CheckState.queued).order(Column("seq")).limit(limit)
        .fetchAll(db)
      for i in records.indices {
        records[i].state = .running
        records[i].startedAt = Date()
        records[i].attempts += 1
        try records[i].update(db)
      }
      return records
    }
  }

  /// Puts checks the worker was stopped on back in the queue, without counting the attempt.
  func requeue(_ ids: [String]) async throws {
    try await database.write { db in
      _ = try CheckRecord.filter(ids.contains(Column("id")) && Column("state") == CheckState.running)
        .updateAll(db, Column("state").set(to: CheckState.queued), Column("attempts") -= 1)
    }
  }

  func finish(_ id: String, faces: [FaceResult]) async throws {
    let json = String(decoding: try JSONEncoder().encode(faces), as: UTF8.self)
    try await database.write { db in
      _ = try CheckRecord.filter(Column("id") == id).updateAll(
        db, Column("state").set(to: CheckState.done), Column("finishedAt").set(to: Date()),
        Column("faces").set(to: json))
    }
  }

  func fail(_ id: String, reason: String) async throws {
    try await database.write { db in
      _ = try CheckRecord.filter(Column("id") == id).updateAll(
        db, Column("state").set(to: CheckState.failed), Column("finishedAt").set(to: Date()),
        Column("error").set(to: reason))
    }
    try? FileManager.default.removeItem(at: photo(of: id))
  }

  enum Deletion { case deleted, running, notFound }

  /// Cancels a queued check or deletes a finished one with its images; a running one stays.
  func delete(_ id: String, client: String?) async throws -> Deletion {
    let outcome: Deletion = try await database.write { db in
      var request = CheckRecord.filter(Column("id") == id)
      if let client { request = request.filter(Column("client") == client) }
      guard let record = try request.fetchOne(db) else { return .notFound }
      if record.state == .running { return .running }
      try record.delete(db)
      return .deleted
    }
    if outcome == .deleted { try? FileManager.default.removeItem(at: folder(of: id)) }
    return outcome
  }

  /// Deletes checks that finished before `cutoff`, and their images.
  func deleteFinished(before cutoff: Date) async throws -> Int {
    let ids: [String] = try await database.write { db in
      let expired = CheckRecord.filter(
        [CheckState.done, .failed].contains(Column("state")) && Column("finishedAt") < cutoff)
      let ids = try expired.fetchAll(db).map(\.id)
      try expired.deleteAll(db)
      return ids
    }
    for id in ids { try? FileManager.default.removeItem(at: folder(of: id)) }
    return ids.count
  }

  static func newID() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
  }

  static func isID(_ text: String) -> Bool {
    text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
  }
}
