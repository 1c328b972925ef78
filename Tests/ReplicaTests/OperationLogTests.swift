import Foundation
import ReplicaTesting
import Testing

@testable import Replica

/// The log packs each origin's operations by 64 into Zstandard runs (`OperationLog`), its tail as
/// rows: what goes in must come out byte for byte, wherever it is stored, and damage must show.
@Suite("Operation log: packed runs and the rows beyond them") final class OperationLogTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    private static func randomEntries(_ count: Int, from seq: UInt64, using g: inout some RandomNumberGenerator) -> [LogEntry] {
        var hlc = UInt64.random(in: 0...(1 << 60), using: &g)
        return (0..<count).map { i in
            // Clocks mostly rise, sometimes fall (the codec must not assume they rise).
            hlc = Bool.random(using: &g) || hlc < 1000 ? hlc &+ UInt64.random(in: 0...100_000, using: &g) : hlc - UInt64.random(in: 0...1000, using: &g)
            let body = (0..<Int.random(in: 0...90, using: &g)).map { _ in UInt8.random(in: 0...40, using: &g) }
            return LogEntry(
                seq: seq + UInt64(i), hlc: hlc, body: body,
                signature: Int.random(in: 0..<8, using: &g) == 0 ? (0..<64).map { _ in UInt8.random(in: 0...255, using: &g) } : nil,
                session: Bool.random(using: &g) ? nil : Int64.random(in: 0...Int64.max, using: &g),
                flags: Int64.random(in: 0...3, using: &g))
        }
    }

    @Test func aRunDecodesToWhatWasEncoded() throws {
        var g = SplitMix64(seed: 7)
        let compressor = ZstdCompressor()
        for count in [1, 2, 63, 64, 300] {
            let entries = Self.randomEntries(count, from: 1000, using: &g)
            let blob = OperationLog.encode(entries[...], with: compressor)
            #expect(try OperationLog.decode(blob, firstSeq: 1000, lastSeq: 1000 + UInt64(count) - 1) == entries)
            // The seqs come from the row: another count is refused, never misread.
            #expect(throws: (any Error).self) { try OperationLog.decode(blob, firstSeq: 1000, lastSeq: 1000 + UInt64(count)) }
            if count > 1 { #expect(throws: (any Error).self) { try OperationLog.decode(blob, firstSeq: 1000, lastSeq: 1000 + UInt64(count) - 2) } }
        }
    }

    /// Every truncation and every single flipped byte of a packed run is refused or decodes to
    /// something; it never crashes, and a flip inside the compressed frame fails its checksum.
    @Test func aDamagedRunIsRefused() throws {
        var g = SplitMix64(seed: 11)
        let entries = Self.randomEntries(64, from: 1, using: &g)
        let blob = OperationLog.encode(entries[...], with: ZstdCompressor())
        #expect(blob[0] == 1, "the run is compressed")
        for cut in 0..<blob.count {
            #expect(throws: (any Error).self) { try OperationLog.decode(Array(blob[..<cut]), firstSeq: 1, lastSeq: 64) }
        }
        // A flip is refused, or falls on a bit the format ignores (zstd's frame header has some):
        // never another content.
        var refused = 0
        for i in 0..<blob.count {
            var damaged = blob
            damaged[i] ^= 0x10
            guard let decoded = try? OperationLog.decode(damaged, firstSeq: 1, lastSeq: 64) else {
                refused += 1
                continue
            }
            #expect(decoded == entries, "byte \(i) flipped decodes to other operations")
        }
        #expect(refused >= blob.count - 4)
    }

    /// Each thread unpacks with a decompression context of its own, kept across calls: threads
    /// unpacking at once, with damaged runs between good ones, still get exactly their runs.
    @Test func threadsUnpackRunsAtOnce() async throws {
        var g = SplitMix64(seed: 12)
        let runs = (0..<4).map { _ in Self.randomEntries(48, from: 1, using: &g) }
        let blobs = runs.map { OperationLog.encode($0[...], with: ZstdCompressor()) }
        #expect(blobs.allSatisfy { $0[0] == 1 }, "every run is compressed, so its last bytes are zstd's checksum")
        let results = await withTaskGroup(of: Bool.self) { group in
            for (entries, blob) in zip(runs, blobs) {
                group.addTask {
                    var damaged = blob
                    damaged[damaged.count - 1] ^= 0x01  // the content checksum
                    for _ in 0..<200 {
                        guard (try? OperationLog.decode(damaged, firstSeq: 1, lastSeq: 48)) == nil,
                            (try? OperationLog.decode(blob, firstSeq: 1, lastSeq: 48)) == entries
                        else { return false }
                    }
                    return true
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == [true, true, true, true])
    }

    /// Desk writes go as rows and are packed once 64 are there; a sync's long runs are packed as
    /// they arrive. Both replicas hold every operation once and the same log, and verify.
    @Test func writesArePackedByRunsAndReadBackWhole() throws {
        let a = try sandbox.replica("a", role: .stafTI)
        let task = try a.addTask(sop: "SERVER", title: "Server")
        for i in 0..<200 { try a.comment(task.hex, text: "catatan \(i)") }
        let b = try sandbox.replica("b", role: .stafTI)
        try Exchange.runs(from: a, to: b)
        for r in [a, b] {
            let census = try r.logCensus()
            #expect(census.held == (try r.vector().entries.values.reduce(0, +)))
            #expect(census.twice == 0)
            #expect(try r.scalar("SELECT count(*) FROM op_runs WHERE origin_idx = (SELECT idx FROM origins WHERE origin = X'\(a.origin.hex)')") == 3)
            #expect(try r.scalar("SELECT count(*) FROM ops WHERE origin_idx = (SELECT idx FROM origins WHERE origin = X'\(a.origin.hex)')")! < 64)
            #expect(try r.verify().ok)
        }
        let dump = { (r: Replica) in try r.logDump().split(separator: "\n").filter { $0.hasPrefix(a.origin.hex) } }
        #expect(try dump(a) == dump(b))
        #expect(try dump(a).count == 202)
        // History reads the packed comments back: 200 comments and the create.
        #expect(try b.history(task.hex).filter { $0.summary.hasPrefix("comment: catatan") }.count == 200)
    }

    /// A batch's runs are packed on a second thread while the batch goes on (`LogWriter`): a run
    /// that comes twice in one batch is still checked against the log as written, and found a
    /// duplicate, not a fork.
    @Test func aRunBroughtTwiceInOneBatchIsADuplicate() throws {
        let a = try sandbox.replica("a", role: .stafTI)
        let task = try a.addTask(sop: "SERVER", title: "Server")
        for i in 0..<700 { try a.comment(task.hex, text: "catatan \(i)") }
        let b = try sandbox.replica("b", role: .stafTI)
        let runs = try a.nextBatch(after: try b.vector(), maxOperations: 100_000)
        let operations = runs.reduce(0) { $0 + $1.entries.count }
        #expect(operations > 700)
        let report = try b.apply(runs + runs)
        #expect(report.forks.isEmpty)
        #expect(report.appliedTotal == operations && report.duplicates == operations)
        let dump = { (r: Replica) in try r.logDump().split(separator: "\n").filter { $0.hasPrefix(a.origin.hex) } }
        #expect(try dump(a) == dump(b))
        #expect(try b.verify().ok)
    }

    @Test func verifyReportsADamagedRun() throws {
        let a = try sandbox.replica("a", role: .stafTI)
        let task = try a.addTask(sop: "SERVER", title: "Server")
        for i in 0..<100 { try a.comment(task.hex, text: "catatan \(i)") }
        #expect(try a.verify().ok)
        try a.executeRaw(
            "UPDATE op_runs SET ops = substr(ops, 1, 40) || X'00' || substr(ops, 42) WHERE last_seq = 64 AND origin_idx = (SELECT idx FROM origins WHERE origin = X'\(a.origin.hex)')")
        let report = try a.verify()
        #expect(report.problems.count == 1, "\(report.problems)")
        #expect(report.problems.first?.contains("packed run of seqs 1…64 is damaged") == true, "\(report.problems)")
        // A desk command that reads the damaged operation fails with a storage error, not a crash.
        #expect(throws: ReplicaError.self) { try a.history(task.hex) }
    }

    /// A revocation that cuts an origin inside a packed run unpacks it: the kept operations stay,
    /// as rows, and the replica agrees with the admin, who never held the rest.
    @Test func aRevocationCutInsideAPackedRunKeepsThePrefix() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let staf = try sandbox.member("staf", role: .stafTI, invitedBy: admin)
        let meja = try sandbox.member("meja", role: .mejaSatu, invitedBy: admin)
        try Exchange.meshUntilEqual([admin, staf, meja])
        let task = try staf.addTask(sop: "SERVER", title: "Server")
        for i in 0..<90 { try staf.comment(task.hex, text: "sebelum \(i)") }
        try Exchange.runs(from: staf, to: admin)
        let kept = try admin.vector()[staf.origin]
        for i in 0..<60 { try staf.comment(task.hex, text: "sesudah \(i)") }
        try Exchange.runs(from: staf, to: meja)
        #expect(try meja.vector()[staf.origin] == kept + 60)
        try admin.revoke("staf")
        try Exchange.runs(from: admin, to: meja)
        #expect(try meja.vector()[staf.origin] == kept)
        #expect(kept % 64 != 0 && (kept + 60) / 64 > kept / 64, "the cut falls inside a run meja packed")
        #expect(try meja.logCensus().held == (try meja.vector().entries.values.reduce(0, +)))
        #expect(try meja.logCensus().twice == 0)
        #expect(try meja.verify().ok)
        #expect(try admin.digest() == meja.digest())
        let dump = { (r: Replica) in try r.logDump().split(separator: "\n").filter { $0.hasPrefix(staf.origin.hex) } }
        #expect(try dump(admin) == dump(meja))
    }
}

extension OperationLogTests {
    /// A replica of schema 1 (the log all rows, the SOP book WITHOUT ROWID) is brought up by
    /// migrations 2 and 3 when it is opened, and holds the same log, tables and digest afterwards.
    @Test func migrationsBringASchemaOneReplicaUp() throws {
        let a = try sandbox.replica("a", role: .stafTI)
        let task = try a.addTask(sop: "SERVER", title: "Server")
        for i in 0..<150 { try a.comment(task.hex, text: "catatan \(i)") }
        let (dump, digest) = (try a.logDump(), try a.digest())
        // Back to schema 1: every operation a row, no `op_runs`.
        try a.db.transaction {
            for idx in a.originsByIdx.keys {
                for entry in try LogReader(a.db).entries(origin: idx) {
                    try a.db.cached("INSERT OR IGNORE INTO ops(origin_idx, seq, hlc, body, sig, session, flags) VALUES (?, ?, ?, ?, ?, ?, 0)")
                        .bind(.int(idx), .int(Int64(entry.seq)), .int(Int64(entry.hlc)), .blob(entry.body), entry.signature.map { .blob($0) } ?? .null, .null).run()
                }
            }
            try a.db.execute("DROP TABLE op_runs; UPDATE meta SET value = 1 WHERE key = 'schema_version'")
            // And the SOP book as schema 1 kept it.
            try a.db.execute(
                "CREATE TABLE flows1 AS SELECT * FROM sop_flows; DROP TABLE sop_flows; \(FlowBook.table) INSERT INTO sop_flows SELECT * FROM flows1; DROP TABLE flows1")
        }
        #expect(try a.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'sop_flows' AND sql LIKE '%WITHOUT ROWID%'") == 1)
        #expect(try a.scalar("SELECT count(*) FROM ops") == Int64(try a.vector().entries.values.reduce(0, +)))
        let b = try Replica(home: a.home, physicalClock: ManualClock(), entropy: sandbox.entropy)
        #expect(try b.scalar("SELECT value FROM meta WHERE key = 'schema_version'") == Int64(Schema.version))
        #expect(try b.scalar("SELECT count(*) FROM ops")! < 64)
        #expect(try b.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'sop_flows' AND sql LIKE '%WITHOUT ROWID%'") == 0)
        #expect(try b.scalar("SELECT count(*) FROM sop_flows")! > 20)
        #expect(try b.logDump() == dump)
        #expect(try b.digest() == digest)
        #expect(try b.verify().ok)
    }
}
