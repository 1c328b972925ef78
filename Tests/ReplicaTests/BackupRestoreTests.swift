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
        let stored = try #require(try r.logEntry(origin, seq: 1))
        let op = try Operation.decode(origin: origin, seq: 1, hlc: stored.hlc, payload: stored.payload)
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

    /// Schema changes after version 1 are named migrations run in order, once, each inside the
    /// transaction that bumps the version: a new replica is made at schema 1 and brought up the
    /// same way; a failing migration changes nothing; a newer replica is refused, not misread.
    @Test func namedMigrationsRunInOrderOnceAndAllOrNothing() throws {
        let a = try sandbox.founder("a", role: .mejaSatu)
        #expect(try a.scalar("SELECT value FROM meta WHERE key = 'schema_version'") == Int64(Schema.version))
        let id = try a.fileBug(title: "sebelum", description: "d")
        let digest = try a.digest()
        let path = a.db.path
        let now = Schema.version
        let list =
            Migrations.all + [
                Migration(version: now + 1, name: "peers get a note") { try $0.execute("ALTER TABLE peers ADD COLUMN note TEXT") },
                // Needs the column the one before made: they run in order.
                Migration(version: now + 2, name: "every peer noted") { try $0.execute("INSERT INTO peers(address, added_at, note) VALUES ('10.0.0.9:7070', 0, 'migrasi')") },
            ]
        try Migrations.run(a.db, from: 1, path: path, list: list)
        #expect(try a.scalar("SELECT value FROM meta WHERE key = 'schema_version'") == Int64(now + 2))
        #expect(try a.rows("SELECT address, note FROM peers") == [["10.0.0.9:7070", "migrasi"]])
        // Run again from an old reading of the version: the ones done are skipped (adding the
        // column twice would fail).
        try Migrations.run(a.db, from: 1, path: path, list: list)
        #expect(try a.scalar("SELECT count(*) FROM peers") == 1)
        // A failing migration leaves everything as it was, and says which one failed.
        let failing = list + [
            Migration(version: now + 3, name: "half done") { db in
                try db.execute("CREATE TABLE half (x INTEGER)")
                throw ReplicaError(.storage, "disk full")
            }
        ]
        code(.storage, containing: "migration \(now + 3), half done") { try Migrations.run(a.db, from: Int64(now + 2), path: path, list: failing) }
        #expect(try a.scalar("SELECT value FROM meta WHERE key = 'schema_version'") == Int64(now + 2))
        #expect(try a.rows("SELECT name FROM sqlite_schema WHERE name = 'half'").isEmpty)
        #expect(try a.digest() == digest)
        #expect(try a.show(id.hex).fields["title"] == "sebelum")
        // A replica of a newer Sinkron than this one is refused when opened.
        try a.executeRaw("UPDATE meta SET value = 99 WHERE key = 'schema_version'")
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
