import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// Merge rules: last writer wins by (clock, origin), writes that name what they replaced, conflicts,
/// refused writes, idempotent and order-independent apply.
@Suite("Merge rules") final class MergeTests {
    let sandbox: Sandbox
    let t = ManualClock.start

    init() throws { sandbox = try Sandbox() }

    private func title(_ r: Replica, _ id: RecordID) throws -> String? {
        try r.show(id.hex).fields["title"] ?? nil
    }

    @Test func theTestDumpCoversExactlyTheDigestTables() {
        #expect(ReplicaTesting.materialisedTables == Schema.materialisedTables)
    }

    /// The merge finds a field's kind-table column with a switch (it asks once per write); the
    /// switch must say what the kind's list of fields says, for every kind and every field.
    @Test func columnPositionsFollowTheKindsFields() {
        for kind in RecordKind.allCases {
            for field in Field.allCases {
                #expect(kind.column(of: field) == kind.fields.firstIndex(of: field), "\(kind) \(field)")
            }
        }
    }

    @Test func concurrentWritesGoToTheLaterClock() throws {
        let (ca, cb) = (ManualClock(), ManualClock())
        let a = try sandbox.replica("a", role: .mejaSatu, clock: ca)
        let b = try sandbox.replica("b", role: .stafTI, clock: cb)
        let id = try a.fileBug(title: "awal", description: "SIPP tidak bisa simpan")
        try Exchange.runs(from: a, to: b)
        ca.advance(by: 10_000)
        cb.advance(by: 20_000)
        try a.setField(id.hex, field: "title", value: "dari A")
        try b.setField(id.hex, field: "title", value: "dari B")
        try Exchange.meshUntilEqual([a, b])
        for r in [a, b] {
            #expect(try title(r, id) == "dari B")
            let conflicts = try r.conflicts()
            #expect(conflicts.count == 1)
            #expect(conflicts.first?.winnerValue == "dari B")
            #expect(conflicts.first?.loserValue == "dari A")
        }
        #expect(try a.digest() == b.digest())
    }

    @Test func equalClocksGoToTheGreaterOrigin() throws {
        let (ca, cb) = (ManualClock(), ManualClock())
        let a = try sandbox.replica("a", role: .mejaSatu, clock: ca)
        let b = try sandbox.replica("b", role: .stafTI, clock: cb)
        let id = try a.fileBug(title: "awal", description: "d")
        try Exchange.runs(from: a, to: b)
        ca.advance(by: 50_000)
        cb.advance(by: 50_000)
        let wa = try a.commit([.set(record: id, field: .title, value: "A", replaces: a.currentHeads(id, field: .title))])[0]
        let wb = try b.commit([.set(record: id, field: .title, value: "B", replaces: b.currentHeads(id, field: .title))])[0]
        #expect(wa.hlc == wb.hlc, "the test needs two writes with the same clock reading")
        try Exchange.meshUntilEqual([a, b])
        let expected = a.origin > b.origin ? "A" : "B"
        for r in [a, b] {
            #expect(try title(r, id) == expected)
            #expect(try r.conflicts().map(\.winnerValue) == [expected])
        }
    }

    /// A PC an hour ahead writes first; a correct PC then edits that value. The edit names the
    /// value it replaced, so it wins although its clock reading is lower.
    @Test func aWriteThatNamesWhatItReplacedWinsDespiteALowerClock() throws {
        let ahead = ManualClock(t + 3_600_000)
        let a = try sandbox.replica("a", role: .mejaSatu, clock: ahead)
        let b = try sandbox.replica("b", role: .stafTI, clock: ManualClock(t))
        let id = try a.fileBug(title: "dari PC yang jamnya maju", description: "d")
        try a.setField(id.hex, field: "title", value: "masih maju")
        let report = try Exchange.runs(from: a, to: b)
        #expect(report.clockAhead > 0, "operations an hour ahead are flagged")
        #expect(try b.alerts().contains { $0.kind == "clock-ahead" })
        try b.setField(id.hex, field: "title", value: "diperbaiki")
        let history = try b.history(id.hex).filter { $0.field == "title" }
        let fix = try #require(history.first { $0.value == "diperbaiki" })
        let old = try #require(history.first { $0.value == "masih maju" })
        #expect(fix.hlc < old.hlc, "the fix has the lower clock")
        try Exchange.meshUntilEqual([a, b])
        for r in [a, b] {
            #expect(try title(r, id) == "diperbaiki")
            #expect(try r.conflicts().isEmpty)
            let outcomes = try r.history(id.hex).filter { $0.field == "title" }.map { "\($0.value ?? ""):\($0.outcome ?? "")" }
            #expect(outcomes.sorted() == ["diperbaiki:won", "masih maju:replaced"])
        }
        #expect(try a.digest() == b.digest())
    }

    /// The merge keeps what it learned of records and field writes from one batch to the next
    /// (a sync session applies many). A write made meanwhile through another connection to the
    /// same replica (a desk command beside the daemon) must not be missed: the next batch sees it
    /// and records the conflict it makes.
    @Test func aWriteFromAnotherConnectionBetweenBatchesIsSeen() throws {
        let clocks = (0..<2).map { _ in ManualClock() }
        let a = try sandbox.replica("a", role: .mejaSatu, clock: clocks[0])
        let b = try sandbox.replica("b", role: .stafTI, clock: clocks[1])
        try Exchange.introduce([a, b])
        let id = try a.fileBug(title: "awal", description: "d")
        try Exchange.runs(from: a, to: b)  // b's merge now remembers the record and its title write
        let desk = try sandbox.reopen("b", clock: clocks[1])  // another connection to b's replica
        clocks[1].advance(by: 5_000)
        try desk.setField(id.hex, field: "title", value: "dari meja B")
        clocks[0].advance(by: 10_000)
        try a.setField(id.hex, field: "title", value: "dari A")
        let report = try Exchange.runs(from: a, to: b)
        #expect(report.conflicts == 1, "the edit made through the other connection was missed")
        try Exchange.runs(from: b, to: a)
        #expect(try a.digest() == b.digest())
        #expect(try b.conflicts().count == 1 && title(b, id) == "dari A")
    }

    /// B and C both edit the value A filed. A and D hear of the edits in opposite orders.
    @Test(arguments: [true, false])
    func concurrentEditsMakeOneConflictWhateverTheArrivalOrder(bFirst: Bool) throws {
        let clocks = (0..<4).map { _ in ManualClock() }
        let a = try sandbox.replica("a", role: .mejaSatu, clock: clocks[0])
        let b = try sandbox.replica("b", role: .stafTI, clock: clocks[1])
        let c = try sandbox.replica("c", role: .kasubbag, clock: clocks[2])
        let d = try sandbox.replica("d", role: .ketua, clock: clocks[3])
        try Exchange.introduce([a, b, c, d])
        let id = try a.fileBug(title: "awal", description: "d")
        try Exchange.runs(from: a, to: b)
        try Exchange.runs(from: a, to: c)
        clocks[1].advance(by: 10_000)
        clocks[2].advance(by: 20_000)
        try b.setField(id.hex, field: "title", value: "versi B")
        try c.setField(id.hex, field: "title", value: "versi C")
        let order = bFirst ? [b, c] : [c, b]
        for source in order { try Exchange.runs(from: source, to: a) }
        for source in order.reversed() { try Exchange.runs(from: source, to: d) }
        let winner = try #require(c.history(id.hex).first { $0.value == "versi C" }?.op)
        let loser = try #require(b.history(id.hex).first { $0.value == "versi B" }?.op)
        for r in [a, d] {
            let conflicts = try r.conflicts()
            #expect(conflicts.count == 1)
            let conflict = try #require(conflicts.first)
            #expect(conflict.record == id.hex && conflict.field == "title")
            #expect(conflict.winner == winner && conflict.loser == loser)
            #expect(conflict.winnerValue == "versi C" && conflict.loserValue == "versi B")
            #expect(conflict.winnerNode == "c" && conflict.loserNode == "b")
            #expect(try title(r, id) == "versi C")
        }
        #expect(try a.dumpTables() == d.dumpTables())
        try Exchange.meshUntilEqual([a, b, c, d])
        let digests = try Set([a, b, c, d].map { try $0.digest() })
        #expect(digests.count == 1)

        // A later write that names both heads resolves the conflict everywhere.
        try d.setField(id.hex, field: "title", value: "disepakati")
        try Exchange.meshUntilEqual([a, b, c, d])
        for r in [a, b, c, d] {
            #expect(try title(r, id) == "disepakati")
            #expect(try r.conflicts().count == 1, "resolving adds no conflict")
            // One head is left: the resolving write; both edits it named are replaced, none lost.
            let outcomes = try r.history(id.hex).filter { $0.field == "title" }.map { $0.outcome ?? "" }
            #expect(outcomes.sorted() == ["replaced", "replaced", "won"])
        }
    }

    /// Only umum-keuangan gives letter numbers. A number written by another role is kept in the
    /// log but refused, wherever and in whatever order it arrives — and it erases nothing.
    @Test(arguments: [true, false])
    func numbersFromOtherRolesAreRefusedEverywhere(numberFirst: Bool) throws {
        let u = try sandbox.replica("umum", role: .umumKeuangan)
        let s = try sandbox.replica("staf", role: .stafTI)
        let k = try sandbox.replica("ketua", role: .ketua)
        try Exchange.introduce([u, s, k])
        let letter = try s.draftLetter(subject: "Pemberitahuan bug SIPP", recipient: "SATGAS SIPP", classification: "HK2.6")
        try Exchange.runs(from: s, to: u)
        let number = try u.numberLetter(letter.hex, number: "1/KPN.W4-U2/HK2.6/XI/2026")
        try Exchange.runs(from: u, to: s)
        #expect(throws: ReplicaError.self) { try s.setField(letter.hex, field: "number", value: "2/KPN.W4-U2/HK2.6/XI/2026") }
        // Staf TI bypasses the desk check with a raw write that replaces the real number.
        try s.commit([.set(record: letter, field: .number, value: "666/KPN.W4-U2/HK2.6/XI/2026", replaces: s.currentHeads(letter, field: .number))])
        // And a blind one that replaces nothing.
        try s.commit([.set(record: letter, field: .number, value: "667/KPN.W4-U2/HK2.6/XI/2026", replaces: [])])
        var runs: [OriginID: [OperationRun]] = [:]
        try s.missingRuns(since: k.vector()) { runs[$0.origin, default: []].append($0) }
        let order = numberFirst ? [u.origin, s.origin] : [s.origin, u.origin]
        for origin in order { try k.apply(runs[origin] ?? []) }
        try Exchange.meshUntilEqual([u, s, k])
        for r in [u, s, k] {
            #expect(try r.show(letter.hex).fields["number"] == number, "on \(r.identity.name)")
            let rid = try #require(try r.scalar("SELECT rid FROM records WHERE id = '\(letter.hex)'"))
            #expect(try r.storedWrites(rid: rid, field: .number).filter { !$0.valid }.count == 2)
            let outcomes = try r.history(letter.hex).filter { $0.field == "number" }.map { $0.outcome ?? "" }
            #expect(outcomes.sorted() == ["refused", "refused", "won"])
            #expect(try r.conflicts().isEmpty, "a refused write is no conflict")
        }
        #expect(try u.digest() == k.digest())
        #expect(try s.digest() == k.digest())
    }

    @Test func aRefusedNumberOnAnUnnumberedLetterLeavesItUnnumbered() throws {
        let s = try sandbox.replica("staf", role: .stafTI)
        let u = try sandbox.replica("umum", role: .umumKeuangan)
        let letter = try s.draftLetter(subject: "Permohonan penghapusan data", recipient: "Mahkamah Agung")
        try s.commit([.set(record: letter, field: .number, value: "9/KPN.W4-U2/HK2.6/XI/2026", replaces: [])])
        try Exchange.meshUntilEqual([s, u])
        for r in [s, u] { #expect(try r.show(letter.hex).fields["number"] == .some(nil)) }
        try u.setCourtCode("W4-U2")
        let given = try u.numberLetter(letter.hex, classification: "HK2.6", now: ManualClock.date(ManualClock.start))
        #expect(given == "1/KPN.W4-U2/HK2.6/III/2026")
    }

    @Test func importingTheSameBundleTwiceChangesNothing() throws {
        let a = try sandbox.replica("a", role: .mejaSatu)
        let b = try sandbox.replica("b", role: .stafTI)
        for i in 0..<20 {
            let id = try a.fileBug(title: "bug \(i)", description: "d")
            try a.comment(id.hex, text: "komentar \(i)")
        }
        try a.exportBundle(to: sandbox.path("all.sinkron"))
        let first = try b.importBundle(from: sandbox.path("all.sinkron"))
        #expect(first.report.appliedTotal == 61)
        // B holds the court admin's genesis and A's enrollment already (from its invitation).
        #expect(first.report.duplicates == 2 + Sandbox.seed)
        let digest = try b.digest()
        let dump = try b.dumpTables()
        let second = try b.importBundle(from: sandbox.path("all.sinkron"))
        #expect(second.report.appliedTotal == 0)
        #expect(second.report.duplicates == 63 + Sandbox.seed)
        #expect(try b.digest() == digest)
        #expect(try b.dumpTables() == dump)
        // The same runs applied in memory once more, and a bundle that holds B's own log.
        let again = try Exchange.runs(from: a, to: b)
        #expect(again.appliedTotal == 0)
        try b.exportBundle(to: sandbox.path("b.sinkron"))
        let own = try b.importBundle(from: sandbox.path("b.sinkron"))
        #expect(own.report.appliedTotal == 0 && own.report.duplicates == 65 + Sandbox.seed)
        #expect(try b.digest() == digest)
        #expect(try b.sessions().count == 3, "every import is a merge session")
    }

    /// Sets, steps, comments and archives that arrive before their record's create end in the same
    /// state as any other order: every permutation of three origins' logs gives equal tables.
    @Test func anyOrderOfOriginLogsGivesTheSameState() throws {
        let a = try sandbox.replica("a", role: .mejaSatu)
        let b = try sandbox.replica("b", role: .stafTI)
        let c = try sandbox.replica("c", role: .kasubbag)
        let bug = try a.fileBug(title: "Relaas tidak tercetak", description: "d", module: "Relaas")
        let deletion = try a.fileDeletion(caseNumber: "15/Pid.Sus/2026/PN Bls", reason: "salah input")
        try Exchange.runs(from: a, to: b)
        try b.completeStep(bug.hex, branch: .tidak, note: "perlu SATGAS")
        try b.setField(bug.hex, field: "title", value: "Relaas gagal cetak")
        try b.comment(deletion.hex, text: "dicek")
        try b.completeStep(deletion.hex, branch: .tidak)
        try Exchange.runs(from: b, to: c)
        try c.setField(bug.hex, field: "module", value: "e-Court")
        try c.commit([.step(record: bug, step: 4, branch: nil, note: "bukan peran kasubbag")])
        try c.archive(deletion.hex)
        try Exchange.meshUntilEqual([a, b, c])
        let reference = try a.dumpTables()

        var runs: [OriginID: [OperationRun]] = [:]
        try c.missingRuns(since: VersionVector()) { runs[$0.origin, default: []].append($0) }
        let origins = [a.origin, b.origin, c.origin]
        let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        let observers = try orders.indices.map { try sandbox.replica("observer\($0)", role: .sekretaris) }
        try Exchange.introduce(observers)
        for (observer, order) in zip(observers, orders) {
            for i in order { try observer.apply(runs[origins[i]] ?? []) }
        }
        let digests = Set(try observers.map { try $0.digest() })
        #expect(digests.count == 1)
        for (observer, order) in zip(observers, orders) {
            let dump = try observer.dumpTables()
            for table in ["bug_reports", "deletion_requests", "steps", "comments", "conflicts"] {
                #expect(dump[table] == reference[table], "order \(order), table \(table)")
            }
        }
        let detail = try observers[5].show(bug.hex)
        #expect(detail.summary.step == 4, "tidak leads to step 4; the kasubbag's step 4 does not count")
        #expect(detail.fields["module"] == "e-Court")
        #expect(detail.steps.map(\.status) == ["ok", "ok", "unauthorized"])
        #expect(try observers[5].show(deletion.hex).summary.status == "archived")
    }

    /// Two creates of one record id (only raw or forged operations can do this): every replica
    /// keeps the earlier create, whatever order they arrived in, and raises an alert.
    @Test func twoCreatesOfOneRecordAgreeWhateverTheOrder() throws {
        let a = try sandbox.replica("a", role: .stafTI)
        let b = try sandbox.replica("b", role: .kasubbag)
        let c = try sandbox.replica("c", role: .ketua)
        let d = try sandbox.replica("d", role: .sekretaris)
        try Exchange.introduce([a, b, c, d])
        let id = RecordID(high: 0xC0FFEE, low: 1)
        try a.commit([.create(record: id, kind: .task, sop: "BACKUP", fields: [FieldValue(.title, "dari A")])])
        try b.commit([.create(record: id, kind: .task, sop: "SERVER", fields: [FieldValue(.title, "dari B")])])
        for (target, order) in [(c, [a, b]), (d, [b, a])] {
            for source in order { try Exchange.runs(from: source, to: target) }
            #expect(try target.alerts().contains { $0.kind == "duplicate-record" })
        }
        let (fromC, fromD) = (try c.show(id.hex).summary.sop, try d.show(id.hex).summary.sop)
        #expect(fromC == fromD)
        try Exchange.meshUntilEqual([c, d])
        #expect(try c.digest() == d.digest())
    }
}
