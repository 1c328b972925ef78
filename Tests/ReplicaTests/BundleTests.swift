import Crypto
import Foundation
import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// Bundles on a flash disk: what import accepts, what it refuses, and that a refusal changes nothing.
@Suite("Bundles") final class BundleTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    /// A meja-satu node with a few records, comments and edits.
    private func busy(_ name: String, role: Role = .mejaSatu, court: String = Sandbox.court) throws -> Replica {
        let r = try sandbox.replica(name, role: role, court: court)
        for i in 0..<5 {
            let id = try r.addTask(sop: "BACKUP", title: "Backup \(i)")
            try r.comment(id.hex, text: "catatan \(i)")
            try r.setField(id.hex, field: "assignee", value: "Andi \(i)")
        }
        return r
    }

    private func expectUnchanged(_ r: Replica, _ digest: String, _ vector: VersionVector, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try r.digest() == digest, "\(label) changed the tables", sourceLocation: sourceLocation)
        #expect(try r.vector() == vector, "\(label) changed the vector", sourceLocation: sourceLocation)
    }

    private func importFails(_ r: Replica, _ bytes: [UInt8], _ expected: ReplicaError.Code, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = sandbox.path("bad.sinkron")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let digest = try r.digest()
        let vector = try r.vector()
        #expect(sourceLocation: sourceLocation) {
            _ = try r.importBundle(from: path)
        } throws: { error in
            (error as? ReplicaError)?.code == expected
        }
        try expectUnchanged(r, digest, vector, label, sourceLocation: sourceLocation)
    }

    @Test func exportCarriesWhatThePeerLacks() throws {
        let a = try busy("a")
        let b = try sandbox.replica("b", role: .stafTI)
        let full = try a.exportBundle(to: sandbox.path("full.sinkron"))
        #expect(full.operations == 2 + Sandbox.seed + 1 + 5 * 3 && full.runs == 2 && full.court == Sandbox.court && full.exporter == "a")
        let delta = try a.exportBundle(to: sandbox.path("delta.sinkron"), since: VersionVector([a.origin: 10]))
        #expect(delta.operations == 2 + Sandbox.seed + 6, "the court admin's genesis, seeded court data and enrollment of a, and a's operations after 10")
        let report = try b.importBundle(from: sandbox.path("full.sinkron"))
        #expect(report.bundle.operations == full.operations && report.report.applied == [a.origin.hex: 16])
        #expect(try b.sessions().first?.outcome == "ok")
        let nothing = try a.exportBundle(to: sandbox.path("none.sinkron"), since: b.vector())
        #expect(nothing.operations == 0 && nothing.runs == 0)
        #expect(try b.importBundle(from: sandbox.path("none.sinkron")).report == ApplyReport())
    }

    /// An import leaves its writes in the database file, not in the WAL: the next desk command
    /// does not pay for checkpointing what the import wrote, and no folded pages stay on disk.
    @Test func anImportIsCheckpointedByItsOwnCommand() throws {
        let a = try sandbox.replica("a", role: .mejaSatu)
        try a.fill(records: 500, sets: 2500, batch: 3000, seed: 7) { _ in }
        _ = try a.exportBundle(to: sandbox.path("fill.sinkron"))
        let b = try sandbox.replica("b", role: .stafTI)
        let file = (sandbox.home("b") as NSString).appendingPathComponent("replica.db")
        func size() throws -> Int { try (FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0 }
        let before = try size()
        #expect(try b.importBundle(from: sandbox.path("fill.sinkron")).report.appliedTotal == 3001)
        // About 3,000 operations fill far fewer than the 1,000 WAL pages at which SQLite would
        // checkpoint by itself.
        #expect(try size() > before + 100_000, "the import's pages are in replica.db")
        let wal = try (FileManager.default.attributesOfItem(atPath: file + "-wal")[.size] as? Int) ?? -1
        #expect(wal == 0, "nothing of the import is left in the WAL")
    }

    @Test func damagedBundlesAreRefusedWhole() throws {
        let a = try busy("a")
        let b = try sandbox.replica("b", role: .stafTI)
        try a.exportBundle(to: sandbox.path("a.sinkron"))
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: sandbox.path("a.sinkron"))))
        for position in Array(stride(from: 0, to: bytes.count, by: 37)) + [8, bytes.count - 33, bytes.count - 1] {
            var flipped = bytes
            flipped[position] ^= 0x20
            try importFails(b, flipped, .badBundle, "a flipped byte at \(position)")
        }
        try importFails(b, Array(bytes.dropLast()), .badBundle, "a truncated bundle")
        try importFails(b, Array(bytes.prefix(bytes.count / 2)), .badBundle, "half a bundle")
        try importFails(b, Array("not a bundle at all, just text".utf8), .badBundle, "a text file")
        try importFails(b, [], .badBundle, "an empty file")
        #expect(throws: ReplicaError.self) { try b.importBundle(from: self.sandbox.path("missing.sinkron")) }
        // A well-formed bundle whose runs do not parse is refused by its content, not its checksum.
        try importFails(b, Bundle.encode(court: Sandbox.court, root: b.courtRoot!, exporter: "x", runs: []) + [0], .badBundle, "trailing garbage")
    }

    @Test func bundlesFromAnotherCourtAreRefused() throws {
        let dumai = try busy("dumai", court: "PN Dumai")
        let b = try busy("b")
        try dumai.exportBundle(to: sandbox.path("dumai.sinkron"))
        try importFails(b, Array(try Data(contentsOf: URL(fileURLWithPath: sandbox.path("dumai.sinkron")))), .wrongCourt, "another court's bundle")
        // A bundle that claims this court and its root but carries another court's node.
        let runs = try dumai.runsByOrigin().values.flatMap { $0 }
        try importFails(b, Bundle.encode(court: Sandbox.court, root: b.courtRoot!, exporter: "dumai", runs: runs), .wrongCourt, "a relabelled bundle")
        // One that names no root at all is another court's too.
        try importFails(b, Bundle.encode(court: Sandbox.court, root: "", exporter: "dumai", runs: []), .wrongCourt, "a bundle without a root")
        // A bundle of a format that never shipped is refused by its version, with what to do.
        var old = Bundle.encode(court: Sandbox.court, root: b.courtRoot!, exporter: "x", runs: [])
        old[8] = 2
        try importFails(b, old, .badBundle, "a format-2 bundle")
    }

    /// Altered, re-signed with the wrong key, unsigned, or claiming another node's key: the whole
    /// batch is refused (also the honest run beside it) and nothing changes.
    @Test func forgedRunsAreRefusedWithNothingApplied() throws {
        let a = try busy("a")
        let b = try sandbox.replica("b", role: .stafTI)
        let c = try busy("c", role: .kasubbag)
        try Exchange.runs(from: a, to: b)
        let task = try a.addTask(sop: "SINKRON")
        try a.comment(task.hex, text: "asli")
        // C's own runs and the admin's enrollment of C, which B lacks (B joined before C).
        let cRuns = try c.runsByOrigin(since: b.vector())
        let honest = cRuns.filter { $0.key != c.origin }.flatMap(\.value) + (cRuns[c.origin] ?? [])
        let genuine = try #require(a.runsByOrigin(since: b.vector())[a.origin]?.first)
        let seq = genuine.firstSeq
        let previous = b.headHash(of: a.origin)
        let after = try b.storedHLC(a.origin, seq: seq - 1)
        let bodies: [OperationBody] = [.create(record: task, kind: .task, sop: "SINKRON", fields: [FieldValue(.title, "palsu")]), .comment(record: task, text: "palsu")]

        var altered = genuine
        altered.entries[1].payload = Operation(origin: a.origin, seq: seq + 1, hlc: altered.entries[1].hlc, author: "", body: .comment(record: task, text: "ASLI")).encodePayload()
        var moved = genuine
        moved.entries[0].hlc = HLC(raw: moved.entries[0].hlc.raw - 1)
        var unsigned = genuine
        unsigned.entries[1].signature = nil
        let wrongKey = try handBuiltRun(origin: a.origin, firstSeq: seq, previous: previous, after: after, bodies: bodies) { s, h in
            try Chain.sign(origin: a.origin, seq: s, hash: h, key: b.privateKey)
        }
        let borrowedIdentity = OriginID.random()
        let impostor = try handBuiltRun(
            origin: borrowedIdentity, firstSeq: 1, previous: Chain.initialHash(origin: borrowedIdentity), after: after,
            bodies: [.genesis(Genesis(node: a.identity.node, publicKey: a.identity.publicKey, name: "a", role: .umumKeuangan, court: Sandbox.court, predecessor: nil))]
        ) { s, h in try Chain.sign(origin: borrowedIdentity, seq: s, hash: h, key: b.privateKey) }

        for (label, forged) in [("an altered payload", altered), ("a wrong key", wrongKey), ("a borrowed public key", impostor)] {
            try importFails(b, Bundle.encode(court: Sandbox.court, root: b.courtRoot!, exporter: "?", runs: honest + [forged]), .badSignature, label)
        }
        // One tick back is no longer after the stored operation before it: the clock check
        // refuses it before the signature would.
        try importFails(b, Bundle.encode(court: Sandbox.court, root: b.courtRoot!, exporter: "?", runs: honest + [moved]), .brokenChain, "an altered clock")
        let digest = try b.digest()
        #expect { _ = try b.apply(honest + [unsigned]) } throws: { ($0 as? ReplicaError)?.code == .badSignature }
        #expect(try b.digest() == digest)
        // The genuine run still applies afterwards.
        #expect(try b.apply(honest + [genuine]).appliedTotal == honest.reduce(0) { $0 + $1.entries.count } + 2)
    }

    @Test func runsThatLeaveAGapAreReportedAndSkipped() throws {
        let a = try busy("a")
        let b = try sandbox.replica("b", role: .stafTI)
        let c = try busy("c", role: .kasubbag)
        try Exchange.runs(from: a, to: b)
        let task = try #require(a.list().first?.id)
        for i in 0..<3 { try a.comment(task, text: "lagi \(i)") }
        let held = try b.vector()[a.origin]
        let beyond = try #require(a.runsByOrigin(since: VersionVector([a.origin: held + 1]))[a.origin])
        let cRuns = try c.runsByOrigin(since: b.vector())
        let report = try b.apply(beyond + cRuns.filter { $0.key != c.origin }.flatMap(\.value) + (cRuns[c.origin] ?? []))
        #expect(report.gaps.count == 1)
        #expect(report.gaps.first?.contains("holds up to \(held)") == true)
        #expect(try b.vector()[a.origin] == held, "nothing of the gapped run is applied")
        #expect(try b.vector()[c.origin] == c.vector()[c.origin], "other runs still apply")
        // A run of an origin never seen here that does not start at its genesis is a gap too.
        let d = try sandbox.replica("d", role: .ketua)
        let late = try #require(c.runsByOrigin(since: VersionVector([c.origin: 2]))[c.origin])
        let unknown = try d.apply(late)
        #expect(unknown.gaps.count == 1 && unknown.appliedTotal == 0)
        // Once the missing part arrives, everything applies.
        try Exchange.meshUntilEqual([a, b, c, d])
        #expect(Set(try [a, b, c, d].map { try $0.digest() }).count == 1)
    }

    /// Two different operations at one (origin, seq): the replica keeps its own, refuses the other,
    /// raises an alert, and still applies the other runs of the bundle.
    @Test func forksAreRefusedReportedAndAlerted() throws {
        let a = try busy("a", role: .stafTI)
        let b = try sandbox.replica("b", role: .kasubbag)
        let c = try sandbox.replica("c", role: .ketua)
        try Exchange.introduce([a, b, c])
        let task = try a.addTask(sop: "MONITOR")
        let seq = try a.vector()[a.origin] + 1
        let fork = try handBuiltRun(
            origin: a.origin, firstSeq: seq, previous: a.headHash(of: a.origin), after: try a.storedHLC(a.origin, seq: seq - 1),
            bodies: [.comment(record: task, text: "cabang lain"), .comment(record: task, text: "cabang lain 2")]
        ) { s, h in try Chain.sign(origin: a.origin, seq: s, hash: h, key: a.privateKey) }
        try a.comment(task.hex, text: "yang asli")
        try Exchange.runs(from: a, to: b)
        let before = try b.dumpTables()
        _ = try c.addTask(sop: "BACKUP", title: "dari ketua")
        let fromC = try #require(c.runsByOrigin(since: b.vector())[c.origin])
        try Data(Bundle.encode(court: Sandbox.court, root: b.courtRoot!, exporter: "usb", runs: [fork] + fromC)).write(to: URL(fileURLWithPath: sandbox.path("fork.sinkron")))
        let imported = try b.importBundle(from: sandbox.path("fork.sinkron"))
        #expect(imported.report.forks.count == 1)
        #expect(imported.report.forks.first?.contains("seq \(seq)") == true)
        #expect(imported.report.applied == [c.origin.hex: fromC[0].entries.count])
        #expect(try b.vector()[a.origin] == seq, "the replica keeps what it had")
        #expect(try b.show(task.hex).comments.map(\.text) == ["yang asli"])
        let after = try b.dumpTables()
        #expect(after["comments"] == before["comments"])
        let alert = try #require(b.alerts().first { $0.kind == "fork" })
        #expect(alert.origin == a.origin.hex && alert.seq == Int64(seq))
        #expect(try b.sessions().first?.outcome == "fork refused")
        #expect(try b.verify().ok)
        // Importing it again raises the alarm again, and changes nothing more.
        let again = try b.importBundle(from: sandbox.path("fork.sinkron"))
        #expect(again.report.forks.count == 1 && again.report.appliedTotal == 0)
    }

    /// The sync protocol's source: bounded batches, each run ending signed, until the peer has all.
    @Test func batchesStreamEverythingInBoundedPieces() throws {
        let a = try busy("a")
        let b = try busy("b", role: .stafTI)
        try Exchange.runs(from: b, to: a)
        let d = try sandbox.replica("d", role: .ketua)
        var cursor = try d.vector()
        var batches = 0
        while true {
            let batch = try a.nextBatch(after: cursor, maxOperations: 7)
            if batch.isEmpty { break }
            batches += 1
            #expect(batch.reduce(0) { $0 + $1.entries.count } <= 7)
            #expect(batch.allSatisfy { $0.entries.last?.signature != nil })
            try d.apply(batch)
            cursor = try d.vector()
            #expect(batches < 100)
        }
        #expect(batches >= 32 / 7)
        #expect(try d.vector().covers(a.vector()))
        try Exchange.runs(from: d, to: a)
        #expect(try a.digest() == d.digest())
    }

    /// An origin with more than a run's worth of operations goes as several runs in one batch,
    /// each ending signed and continuing the one before; the receiver applies them as one batch.
    @Test func longOriginsGoAsSeveralRunsInOneBatch() throws {
        let a = try busy("a")
        let d = try sandbox.replica("d", role: .ketua)
        let batch = try a.nextBatch(after: d.vector(), maxOperations: 1_000, runOperations: 4)
        let own = batch.filter { $0.origin == a.origin }
        #expect(own.count >= 4)
        #expect(own.allSatisfy { $0.entries.count <= 4 && $0.entries.last?.signature != nil })
        for (x, y) in zip(own, own.dropFirst()) { #expect(y.firstSeq == x.lastSeq + 1) }
        #expect(own.first?.firstSeq == 1)
        #expect(try own.last?.lastSeq == a.vector()[a.origin])
        #expect(try d.apply(batch).appliedTotal == batch.reduce(0) { $0 + $1.entries.count })
        try Exchange.runs(from: d, to: a)
        #expect(try a.digest() == d.digest())
    }

    /// Each operation of a run is applied as soon as it is checked, before the signature at the
    /// run's end is. A forged signature there refuses the batch: the operations already applied
    /// inside its transaction are rolled back, and the receiver's clock does not keep their readings.
    @Test func aForgedSignatureAtTheEndOfALongRunTakesBackTheWholeBatch() throws {
        let b = try sandbox.replica("b", role: .kasubbag)
        let a = try sandbox.replica("a", role: .stafTI, clock: ManualClock(ManualClock.start + 120_000))
        try a.fill(records: 30, sets: 2_600, batch: 5_000, seed: 7) { _ in }
        // B learns of A's enrollment first (the admin's log, from A), as any member would.
        try b.apply(try a.runsByOrigin(since: b.vector()).filter { $0.key != a.origin }.flatMap(\.value))
        let runs = try #require(a.runsByOrigin()[a.origin])
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run.entries.count > 2_000)
        var forged = run
        forged.entries[forged.entries.count - 1].signature?[5] ^= 0x40
        let digest = try b.digest()
        let clock = b.clock.last
        #expect(clock < run.entries[0].hlc, "the sender's readings are ahead of the receiver's clock")
        #expect { _ = try b.apply([forged]) } throws: { ($0 as? ReplicaError)?.code == .badSignature }
        #expect(try b.digest() == digest)
        #expect(try b.vector()[a.origin] == 0)
        #expect(b.clock.last == clock)
        // The genuine run applies whole, and its readings move the clock.
        #expect(try b.apply([run]).appliedTotal == run.entries.count)
        #expect(b.clock.last >= run.entries[run.entries.count - 1].hlc)
        try Exchange.runs(from: b, to: a)
        #expect(try a.digest() == b.digest())
    }

    /// Import reads a file a chunk at a time: runs cut at any byte by a chunk boundary are read
    /// whole, and a run that is cut short in the file itself (checksum recomputed, so only its
    /// content is wrong) is refused at every chunk size, with nothing applied.
    @Test func filesAreReadInChunksCutAnywhere() throws {
        let a = try busy("a")
        let b = try busy("b", role: .stafTI)
        try Exchange.runs(from: b, to: a)
        try a.exportBundle(to: sandbox.path("a.sinkron"))
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: sandbox.path("a.sinkron"))))
        let (info, expected) = try Bundle.decode(bytes)
        #expect(info.runs >= 2)
        for chunk in [1, 2, 3, 7, 64, 1000, 1 << 20] {
            let file = try InputFile(sandbox.path("a.sinkron"), chunk: chunk)
            defer { file.close() }
            try file.checkChecksum()
            var runs: [OperationRun] = []
            let read = try Bundle.forEachRun(file: file) { runs.append($0) }
            #expect(read == info && runs == expected, "chunk \(chunk)")
        }
        // Cut the last run short by 5 bytes and seal it with a fresh checksum.
        let body = Array(bytes.dropLast(32 + 5))
        let cut = body + Array(SHA256.hash(data: body))
        try Data(cut).write(to: URL(fileURLWithPath: sandbox.path("cut.sinkron")))
        for chunk in [1, 3, 64, 1 << 20] {
            let file = try InputFile(sandbox.path("cut.sinkron"), chunk: chunk)
            defer { file.close() }
            try file.checkChecksum()
            #expect(throws: ReplicaError.self, "chunk \(chunk)") { try Bundle.forEachRun(file: file) { _ in } }
        }
        let d = try sandbox.replica("d", role: .ketua)
        try importFails(d, cut, .badBundle, "a run cut short under a valid checksum")
        // Bytes cut out of the middle may still parse, into operations whose signatures fail.
        var middle = Array(bytes.dropLast(32))
        middle.removeSubrange(middle.count / 2..<middle.count / 2 + 5)
        try Data(middle + Array(SHA256.hash(data: middle))).write(to: URL(fileURLWithPath: sandbox.path("middle.sinkron")))
        let before = (try d.digest(), try d.vector())
        #expect(throws: ReplicaError.self) { try d.importBundle(from: self.sandbox.path("middle.sinkron")) }
        try expectUnchanged(d, before.0, before.1, "a bundle with bytes cut from its middle")
        let imported = try d.importBundle(from: sandbox.path("a.sinkron")).report
        #expect(imported.appliedTotal + imported.duplicates == info.operations && imported.heldTotal == 0)
    }
}
