import Dispatch
import Foundation
import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// Backups, restores and copies: a replica that comes back from a copy never reuses seq numbers
/// its origin already used elsewhere, so merging never forks.
@Suite("Backup, restore and copies") final class BackupRestoreTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    private func expectNoForks(_ replicas: [Replica], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for r in replicas {
            #expect(try !r.alerts().contains { $0.kind == "fork" }, "fork alert on \(r.identity.name)", sourceLocation: sourceLocation)
            #expect(try r.verify().ok, sourceLocation: sourceLocation)
        }
        #expect(Set(try replicas.map { try $0.digest() }).count == 1, sourceLocation: sourceLocation)
    }

    private func genesis(_ r: Replica, of origin: OriginID) throws -> Genesis {
        let row = try #require(try r.rows("SELECT o.hlc, hex(o.body) FROM ops o JOIN origins g ON g.idx = o.origin_idx WHERE g.origin = X'\(origin.hex)' AND o.seq = 1").first)
        let payload = try #require(Array(hexString: row[1]))
        let op = try Operation.decode(origin: origin, seq: 1, hlc: HLC(raw: UInt64(row[0])!), payload: payload)
        guard case .genesis(let g) = op.body else { throw ReplicaError(.notFound, "no genesis") }
        return g
    }

    @Test func restoreWritesUnderANewOriginThatNamesTheOld() throws {
        let a = try sandbox.replica("a", role: .stafTI)
        let task = try a.addTask(sop: "BACKUP", title: "Backup mingguan")
        try a.backup(to: sandbox.path("a.backup"))
        code(.alreadyExists) { try a.backup(to: self.sandbox.path("a.backup")) }
        let atBackup = try a.vector()[a.origin]
        try a.comment(task.hex, text: "setelah backup")  // the old origin goes on at atBackup + 1
        let restored = try Replica.restore(from: sandbox.path("a.backup"), home: sandbox.home("pc-baru"), physicalClock: ManualClock())
        #expect(restored.origin != a.origin)
        #expect(restored.identity.node == a.identity.node && restored.identity.role == .stafTI)
        #expect(try genesis(restored, of: restored.origin).predecessor == a.origin)
        #expect(try restored.rows("SELECT predecessor FROM nodes WHERE origin = '\(restored.origin.hex)'") == [[a.origin.hex]])
        try restored.comment(task.hex, text: "dari pemulihan")
        #expect(try restored.vector()[a.origin] == atBackup, "the restored replica never writes the old origin")
        #expect(try restored.vector()[restored.origin] == 2)
        let b = try sandbox.replica("b", role: .kasubbag)
        try Exchange.meshUntilEqual([a, restored, b])
        try expectNoForks([a, restored, b])
        #expect(Set(try b.show(task.hex).comments.map(\.text)) == ["setelah backup", "dari pemulihan"])
        // New replicas use 16 KiB pages, and a backup and its restore keep them.
        for replica in [a, restored, b] { #expect(try replica.scalar("PRAGMA page_size") == 16_384) }
    }

    @Test func restoreOverAnExistingReplicaKeepsItAside() throws {
        do {
            let a = try sandbox.replica("a", role: .stafTI)
            _ = try a.addTask(sop: "SINKRON")
            try a.backup(to: sandbox.path("a.backup"))
            _ = try a.addTask(sop: "MONITOR")
        }
        let restored = try Replica.restore(from: sandbox.path("a.backup"), home: sandbox.home("a"), physicalClock: ManualClock())
        #expect(try restored.list().map(\.sop) == ["SINKRON@1"])
        let kept = try FileManager.default.contentsOfDirectory(atPath: sandbox.home("a")).filter { $0.hasPrefix("replica.db.before-restore-") }
        #expect(kept.count == 1)
        let old = try Replica(home: sandbox.home("a"))  // the restored one, again
        #expect(old.origin == restored.origin)
        code(.notFound) { try Replica.restore(from: self.sandbox.path("missing.backup"), home: self.sandbox.home("x")) }
        try "not a database".write(toFile: sandbox.path("junk.backup"), atomically: true, encoding: .utf8)
        code(.invalidInput) { try Replica.restore(from: self.sandbox.path("junk.backup"), home: self.sandbox.home("a")) }
        #expect(try Replica(home: sandbox.home("a")).list().count == 1, "a refused restore leaves home alone")
    }

    /// A backup taken while another instance (as another process would) keeps writing is a
    /// consistent prefix of the log: it restores, verifies, and merges back without a fork.
    @Test func backupWhileAnotherInstanceWrites() throws {
        let a = try sandbox.replica("a", role: .stafTI, fast: false)
        try a.fill(records: 100, sets: 3_000, batch: 500, seed: 5) { _ in }
        let home = sandbox.home("a")
        let failure = Failure()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            do {
                let writer = try Replica(home: home)
                for i in 0..<150 { try writer.commit([.comment(record: ID128(high: 3, low: UInt64(i % 5)), text: "tulis \(i)")]) }
            } catch {
                failure.record(error)
            }
        }
        var backups: [String] = []
        for i in 0..<3 {
            let path = sandbox.path("during-\(i).backup")
            try a.backup(to: path)
            backups.append(path)
        }
        group.wait()
        #expect(failure.errors.isEmpty, "\(failure.errors)")
        try a.backup(to: sandbox.path("after.backup"))
        let final = try a.vector()[a.origin]
        #expect(final == 1 + 3_100 + 150)
        var restoredReplicas: [Replica] = []
        for (i, path) in (backups + [sandbox.path("after.backup")]).enumerated() {
            let restored = try Replica.restore(from: path, home: sandbox.home("restored-\(i)"), physicalClock: ManualClock())
            try restored.disableSync()
            #expect(try restored.verify().ok, "backup \(i)")
            #expect(try restored.vector()[a.origin] <= final)
            restoredReplicas.append(restored)
        }
        try Exchange.meshUntilEqual([a] + restoredReplicas)
        try expectNoForks([a] + restoredReplicas)
    }

    /// Copies the replica folder of `from` to `to` as a user would (`cp -r`, while the node is
    /// closed): replica.db and its WAL, which holds the latest commits until SQLite checkpoints it.
    private func copyFolder(_ from: String, _ to: String) throws {
        try FileManager.default.createDirectory(atPath: sandbox.home(to), withIntermediateDirectories: true)
        let source = Replica.databasePath(home: sandbox.home(from))
        let target = Replica.databasePath(home: sandbox.home(to))
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: source + suffix) {
            try FileManager.default.copyItem(atPath: source + suffix, toPath: target + suffix)
        }
    }

    /// `cp -r` of the replica folder while the node is closed: the copy notices it is a copy and starts its own origin.
    @Test func aCopiedReplicaWritesUnderItsOwnOrigin() throws {
        let task: RecordID
        do {
            let a = try sandbox.replica("a", role: .mejaSatu)
            task = try a.addTask(sop: "JARINGAN", title: "Jaringan putus")
        }
        for name in ["copy1", "copy2"] { try copyFolder("a", name) }
        let a = try sandbox.reopen("a")
        let copies = try ["copy1", "copy2"].map { try sandbox.reopen($0) }
        let original = a.origin
        #expect(copies.allSatisfy { $0.origin == original }, "a copy starts out as the same origin")
        try a.comment(task.hex, text: "asli")
        for (i, copy) in copies.enumerated() { try copy.comment(task.hex, text: "salinan \(i)") }
        #expect(a.origin == original, "the original keeps its origin")
        #expect(Set(copies.map(\.origin)).count == 2 && !copies.contains { $0.origin == original })
        for copy in copies {
            #expect(try genesis(copy, of: copy.origin).predecessor == original)
            #expect(try copy.vector()[original] == 2)
        }
        // Reopening a copy later keeps its new origin: the move is noticed once.
        let reopened = try sandbox.reopen("copy1")
        #expect(reopened.origin == copies[0].origin)
        try reopened.comment(task.hex, text: "lagi")
        #expect(reopened.origin == copies[0].origin)
        let b = try sandbox.replica("b", role: .stafTI)
        try Exchange.meshUntilEqual([a, b] + copies)
        try expectNoForks([a, b] + copies)
        #expect(try b.show(task.hex).comments.count == 4)
    }

    /// What the copy detection prevents: a copy that kept writing its old origin forks it, and
    /// every replica that meets both versions keeps the one it had and raises an alert.
    @Test func aCopyThatMissedItsMoveForksAndIsCaught() throws {
        do { _ = try sandbox.replica("a", role: .mejaSatu).addTask(sop: "WEBSITE") }
        try copyFolder("a", "copy")
        let a = try sandbox.reopen("a")
        let copy = try sandbox.reopen("copy")
        #expect(copy.fileMoved)
        copy.fileMoved = false
        let task = try #require(a.list().first?.id)
        try a.comment(task, text: "asli")
        try copy.comment(task, text: "salinan")
        #expect(copy.origin == a.origin)
        let b = try sandbox.replica("b", role: .kasubbag)
        try Exchange.bundle(from: a, to: b, via: sandbox.path("a.sinkron"))
        let report = try Exchange.bundle(from: copy, to: b, via: sandbox.path("copy.sinkron"), full: true)
        #expect(report.report.forks.count == 1)
        #expect(try b.alerts().contains { $0.kind == "fork" && $0.origin == a.origin.hex && $0.seq == 3 })
        #expect(try b.show(task).comments.map(\.text) == ["asli"])
    }

    /// A replica written by the first schema (one `field_writes` row per write, its head stored
    /// in a `head` column, a log with `kind`, `rid` and `received_at` columns) opens under this
    /// one: its writes are folded into one write set per field, the log's extra columns go,
    /// every value, outcome and conflict stays, and writes go on. One written by a newer schema
    /// is refused with a clear message, not misread.
    @Test func aReplicaOfTheEarlierSchemaIsUpdatedInPlace() throws {
        let a = try sandbox.founder("a", role: .stafTI)
        let b = try sandbox.member("b", role: .mejaSatu, invitedBy: a)
        let id = try b.fileBug(title: "awal", description: "d")
        try Exchange.meshUntilEqual([a, b])
        // Two concurrent edits of the title (a conflict), then one that replaces the winner.
        try a.setField(id.hex, field: "title", value: "dari a")
        try b.setField(id.hex, field: "title", value: "dari b")
        try Exchange.meshUntilEqual([a, b])
        try a.setField(id.hex, field: "description", value: "kedua")
        let digest = try a.digest()
        let history = try a.history(id.hex).map { "\($0.op):\($0.field ?? ""):\($0.outcome ?? ""):\($0.against.sorted())" }
        #expect(try a.conflicts().count == 1)
        // The schema-1 shape, written from this schema's write sets: one row per write, the
        // replaced writes as a count and (16-byte origin, seq) pairs, and a head column.
        var rows: [String] = []
        for row in try a.rows("SELECT rid, field FROM write_sets") {
            let rid = try #require(Int64(row[0]))
            let field = try #require(UInt8(row[1]).flatMap(Field.init(rawValue:)))
            for w in try a.storedWrites(rid: rid, field: field) {
                var preds = BinaryWriter()
                preds.varint(UInt64(w.preds.count))
                for p in w.preds {
                    preds.id(p.origin)
                    preds.varint(p.seq)
                }
                let predsSQL = w.preds.isEmpty ? "NULL" : "x'\(preds.bytes.hex)'"
                rows.append("(\(rid), \(field.rawValue), \(w.originIdx), \(w.op.seq), \(w.hlc.raw), \(predsSQL), \(w.valid ? 1 : 0), \(w.head ? 1 : 0))")
            }
        }
        #expect(rows.count == 5)
        try a.executeRaw(
            """
            CREATE TABLE field_writes (
                rid INTEGER NOT NULL, field INTEGER NOT NULL, origin_idx INTEGER NOT NULL, seq INTEGER NOT NULL,
                hlc INTEGER NOT NULL, preds BLOB, valid INTEGER NOT NULL, head INTEGER NOT NULL DEFAULT 1,
                PRIMARY KEY (rid, field, origin_idx, seq)) WITHOUT ROWID;
            INSERT INTO field_writes VALUES \(rows.joined(separator: ", "));
            DROP TABLE write_sets;
            ALTER TABLE ops ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE ops ADD COLUMN rid INTEGER;
            ALTER TABLE ops ADD COLUMN received_at INTEGER NOT NULL DEFAULT 0;
            UPDATE meta SET value = 1 WHERE key = 'schema_version';
            """)
        let old = try sandbox.reopen("a")
        #expect(try old.scalar("SELECT value FROM meta WHERE key = 'schema_version'") == 6)
        #expect(try old.rows("SELECT name FROM pragma_table_info('ops') WHERE name IN ('kind', 'rid', 'received_at')").isEmpty)
        #expect(try old.rows("SELECT name FROM sqlite_schema WHERE name = 'field_writes'").isEmpty)
        #expect(try old.scalar("SELECT count(*) FROM write_sets") == 2)
        #expect(try old.digest() == digest)
        #expect(try old.history(id.hex).map { "\($0.op):\($0.field ?? ""):\($0.outcome ?? ""):\($0.against.sorted())" } == history)
        try old.setField(id.hex, field: "title", value: "ketiga")
        #expect(try old.show(id.hex).fields["title"] == "ketiga")
        #expect(try old.verify().ok)
        // The peer that never left schema 3 agrees once they merge.
        try Exchange.meshUntilEqual([old, b])
        #expect(try b.show(id.hex).fields["title"] == "ketiga")

        try old.executeRaw("UPDATE meta SET value = 99 WHERE key = 'schema_version'")
        code(.storage, containing: "newer Sinkron") { _ = try self.sandbox.reopen("a") }
    }
}

/// Errors from a background writer.
final class Failure: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func record(_ error: any Error) { lock.withLock { list.append("\(error)") } }
    var errors: [String] { lock.withLock { list } }
}

extension Array where Element == UInt8 {
    init?(hexString: String) {
        var bytes: [UInt8] = []
        var chars = Array(hexString.utf8)
        guard chars.count % 2 == 0 else { return nil }
        while !chars.isEmpty {
            guard let b = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            bytes.append(b)
            chars.removeFirst(2)
        }
        self = bytes
    }
}
