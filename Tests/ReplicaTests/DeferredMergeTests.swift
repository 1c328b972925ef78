import Foundation
import ReplicaTesting
import Testing

@testable import Replica

/// A sync session's batches go to the log with their merge deferred, and are merged once when
/// the session ends (`Applier.deferring`): the tables must come out as if every batch had been
/// merged at once, and nothing may be lost when the session never gets to its end.
@Suite("Deferred merge: a session's batches merged once") final class DeferredMergeTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    /// Two nodes with records, comments, workflow steps and concurrent edits of one field: what a
    /// third node receives holds conflicts and refolds.
    private func court() throws -> (a: Replica, b: Replica) {
        let a = try sandbox.replica("a", role: .mejaSatu)
        let b = try sandbox.replica("b", role: .stafTI)
        let bug = try a.fileBug(title: "SIPP macet", description: "tidak bisa login", module: "Penerimaan")
        var ids: [RecordID] = []
        for i in 0..<12 {
            let id = try a.addTask(sop: "BACKUP", title: "Backup \(i)")
            try a.comment(id.hex, text: "catatan \(i)")
            ids.append(id)
        }
        try Exchange.runs(from: a, to: b)
        for (i, id) in ids.enumerated() {
            try a.setField(id.hex, field: "assignee", value: "Andi \(i)")
            try b.setField(id.hex, field: "assignee", value: "Budi \(i)")
            if i % 3 == 0 { try b.comment(id.hex, text: "dari TI \(i)") }
        }
        try b.comment(bug.hex, text: "sudah dicek")
        try Exchange.runs(from: b, to: a)
        return (a, b)
    }

    /// Two copies of one new node: `d` receives with the merge deferred, `reference` as a bundle
    /// does (each batch merged at once); their digests must end equal.
    private func twins() throws -> (d: Replica, reference: Replica) {
        var d: Replica? = try sandbox.replica("d", role: .ketua)
        let home = d!.home
        d = nil
        try FileManager.default.copyItem(atPath: home, toPath: sandbox.home("reference"))
        return (try open(home), try open(sandbox.home("reference")))
    }

    private func open(_ home: String) throws -> Replica { try Replica(home: home, physicalClock: ManualClock(), entropy: sandbox.entropy) }

    /// The court's operations on `a`; `reference` holds them all, merged batch by batch; its twin
    /// `d` holds none yet.
    private func setUp() throws -> (a: Replica, d: Replica, reference: Replica) {
        let (a, _) = try court()
        let (d, reference) = try twins()
        try Exchange.runs(from: a, to: reference)
        return (a, d, reference)
    }

    /// Streams what `to` lacks from `from` in batches of `size` operations, each deferring its merge.
    private func streamDeferred(from: Replica, to: Replica, size: Int) throws -> Int {
        var batches = 0
        while true {
            let batch = try from.nextBatch(after: to.vector(), maxOperations: size, runOperations: size)
            if batch.isEmpty { return batches }
            try to.apply(batch, deferMerge: true)
            batches += 1
            #expect(batches < 500)
            if batches >= 500 { return batches }
        }
    }

    @Test("batches merged at the session's end give the tables of one merge, queue spilled or not", arguments: [false, true])
    func deferredEqualsImmediate(tinyQueue: Bool) throws {
        let (a, d, reference) = try setUp()

        if tinyQueue { d.mergeLimits = MergeLimits(queueBytes: 600, chunkOperations: 3) }
        let batches = try streamDeferred(from: a, to: d, size: 9)
        #expect(batches > 5)
        #expect(try d.hasUnmerged(), "the batches' operations wait in the log")
        #expect(try d.vector() == reference.vector(), "the log and vector hold everything at once")
        #expect(try d.digest() != reference.digest(), "the tables do not, until the merge")
        let conflicts = try d.mergeUnmerged()
        #expect(conflicts > 0, "the concurrent edits are found by the merge")
        #expect(try !d.hasUnmerged())
        #expect(try d.digest() == reference.digest())
        #expect(try d.verifyTables().isEmpty)
        #expect(try d.mergeUnmerged() == 0, "a second merge finds nothing")
    }

    @Test("what a sync cut off by a crash left unmerged is merged by the next write, in another process")
    func aCrashLosesNothing() throws {
        let (a, d, reference) = try setUp()
        var alive: Replica? = d
        let home = d.home
        _ = try streamDeferred(from: a, to: alive!, size: 11)
        alive = nil  // the process dies: its queue in memory is gone, the log is on disk
        var reopened = try open(home)
        #expect(try reopened.hasUnmerged())
        #expect(try reopened.digest() != reference.digest())
        // The next write (here a batch from another peer, or an import) merges first, reading
        // the operations back from the log.
        try reopened.apply([])
        #expect(try !reopened.hasUnmerged())
        #expect(try reopened.digest() == reference.digest())
        // And so does a desk write.
        for i in 0..<4 { try a.comment(try a.addTask(sop: "BACKUP", title: "Lagi \(i)").hex, text: "baru") }
        _ = try streamDeferred(from: a, to: reopened, size: 3)
        reopened = try open(home)
        #expect(try reopened.hasUnmerged())
        let task = try reopened.addTask(sop: "BACKUP", title: "setelah mati listrik")
        #expect(try !reopened.hasUnmerged())
        #expect(try reopened.verifyTables().isEmpty)
        #expect(try reopened.show(task.hex).summary.title == "setelah mati listrik")
    }

    @Test("a queue kept in memory is not trusted once another writer changed what is unmerged")
    func anotherWritersBatchIsNotLost() throws {
        let (a, d, reference) = try setUp()
        // The first half, deferred by this replica object: its queue stays in memory.
        try d.apply(try a.nextBatch(after: d.vector(), maxOperations: 30), deferMerge: true)
        #expect(d.pendingMerge != nil)
        // The rest, deferred by another process on the same file, which then dies.
        do {
            let other = try open(d.home)
            _ = try streamDeferred(from: a, to: other, size: 1_000)
        }
        // The first object's queue lacks the other's batch: the merge must read the log instead.
        try d.mergeUnmerged()
        #expect(try !d.hasUnmerged())
        #expect(try d.digest() == reference.digest())
        #expect(try d.verifyTables().isEmpty)
    }

    @Test("a refused batch takes back only itself; what earlier batches deferred is still merged")
    func aRefusedBatchKeepsEarlierOnes() throws {
        let (a, d, reference) = try setUp()
        try d.apply(try a.nextBatch(after: d.vector(), maxOperations: 30), deferMerge: true)
        let vector = try d.vector()
        var forged = try a.nextBatch(after: d.vector(), maxOperations: 20)
        let last = forged.count - 1
        forged[last].entries[forged[last].entries.count - 1].signature = [UInt8](repeating: 7, count: 64)
        #expect(throws: ReplicaError.self) { try d.apply(forged, deferMerge: true) }
        #expect(try d.vector() == vector, "nothing of the refused batch stays")
        _ = try streamDeferred(from: a, to: d, size: 25)
        try d.mergeUnmerged()
        #expect(try d.digest() == reference.digest())
        #expect(try d.verifyTables().isEmpty)
    }
}
