import Foundation

/// A change to a replica's schema, made once, in order, by the first Sinkron that opens a
/// replica of the version before it.
///
/// Schema 1 is the first that left this repository; every change after it is a `Migration`
/// appended to `Migrations.all`, never an edit of `Schema.statements` alone (a new replica is
/// made at `Schema.statements` and then brought up through every migration, so both paths end
/// at one schema). Each runs inside the transaction that bumps `schema_version`: a migration
/// that fails leaves the replica as it was.
struct Migration: Sendable {
    /// The version it brings a replica to (the one before plus one).
    let version: Int
    /// What it does, for the error a failure gives and for readers.
    let name: String
    let apply: @Sendable (Database) throws -> Void
}

enum Migrations {
    /// Every migration after schema 1, in order (`all[i].version == i + 2`).
    static let all: [Migration] = [
        Migration(version: 2, name: "pack the operation log into runs") { db in
            try db.execute(Schema.opRunsTable)
            let log = try LogWriter(db)
            for idx in try db.prepare("SELECT idx FROM origins ORDER BY idx").map({ $0.int(0) }) { try log.packTail(origin: idx) }
        },
        // A WITHOUT ROWID row keeps at most about 4 KB in its page and spills the rest into an
        // overflow page of its own: the book's 28 flow revisions (up to 6 KB each) took 17 pages
        // of 16 KiB, 63 % of them empty. A rowid table keeps rows up to 16 KB in place.
        Migration(version: 3, name: "the SOP book as a rowid table") { db in
            try db.execute(
                """
                CREATE TABLE sop_flows_rowid (\(FlowBook.columns));
                INSERT INTO sop_flows_rowid SELECT code, version, origin, seq, hlc, author, definition FROM sop_flows ORDER BY code, version, origin, seq;
                DROP TABLE sop_flows;
                ALTER TABLE sop_flows_rowid RENAME TO sop_flows;
                """)
        },
    ]

    /// The version a replica has after every migration of `list`.
    static func latest(_ list: [Migration] = all) -> Int { 1 + list.count }

    /// Brings the replica in `db` from `version` to `latest(list)`, one migration at a time
    /// in one transaction; another process may have done it meanwhile (the version is read
    /// again inside). A replica of a newer Sinkron is refused, never misread.
    static func run(_ db: Database, from version: Int64, path: String, list: [Migration] = all) throws {
        let target = latest(list)
        precondition(list.enumerated().allSatisfy { $0.element.version == $0.offset + 2 }, "migrations must be numbered 2, 3, … in order")
        guard version <= target else {
            throw ReplicaError(
                .storage, "\(path) was written by a newer Sinkron (schema \(version), this one reads up to \(target))",
                hint: "run the newer sinkron, or restore a backup made by this version")
        }
        guard version >= 1 else { throw ReplicaError(.storage, "\(path) has no valid schema version (\(version))", hint: "restore it from a backup") }
        var running: Migration?
        do {
            try db.transaction {
                let current = try db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").first { $0.int(0) } ?? version
                for migration in list where migration.version > current {
                    running = migration
                    try migration.apply(db)
                }
                try db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").bind(.int(Int64(target))).run()
            }
        } catch {
            let step = running.map { " (migration \($0.version), \($0.name))" } ?? ""
            throw ReplicaError(
                .storage, "cannot update \(path) to schema \(target)\(step): \(error)", hint: "nothing was changed; restore a backup if it keeps failing")
        }
    }
}
