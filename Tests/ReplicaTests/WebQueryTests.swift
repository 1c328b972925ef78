import Foundation
import Replica
import ReplicaTesting
import Testing

/// The queries the web app reads through: pages, filters, overview, conflict resolution.
@Suite("Web queries") final class WebQueryTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    @Test func pagesFilterInSQLAndCountEverything() throws {
        let meja = try sandbox.replica("meja", role: .mejaSatu)
        let staf = try sandbox.replica("staf", role: .stafTI)
        let bug = try meja.fileBug(title: "Tombol simpan", description: "d")
        _ = try meja.fileDeletion(caseNumber: "7/Pdt.P/2026/PN Bls", reason: "ganda")
        try Exchange.runs(from: meja, to: staf)
        _ = try staf.addTask(sop: "BACKUP")
        #expect(try staf.records(RecordQuery()).total == 3)
        #expect(try staf.records(RecordQuery(waitingFor: .stafTI)).total == 3, "both filed records and the backup task wait for staf TI")
        #expect(try staf.records(RecordQuery(waitingFor: .ketua)).total == 0)
        #expect(try staf.records(RecordQuery(openOnly: true, createdBy: "meja")).total == 2)
        #expect(try staf.records(RecordQuery(search: "simpan")).records.map(\.id) == [bug.hex])
        #expect(try staf.records(RecordQuery(search: String(bug.hex.prefix(6)))).records.map(\.id) == [bug.hex])
        #expect(try staf.records(RecordQuery(search: "100%_")).total == 0, "LIKE wildcards are matched literally")
        let page = try staf.records(RecordQuery(), offset: 1, limit: 1)
        #expect(page.total == 3 && page.records.count == 1)
        #expect(try staf.records(RecordQuery(lateOnly: true), now: Date().addingTimeInterval(3600)).total == 3, "an hour later every 15-minute step is late")
        #expect(try staf.records(RecordQuery(lateOnly: true)).total == 0)
    }

    @Test func countsStopAtTheirLimitAndPagesStayInOrder() throws {
        let meja = try sandbox.replica("meja", role: .mejaSatu)
        try meja.prepareListIndexes()
        try meja.fill(records: 30, sets: 40, batch: 7, seed: 3) { _ in }
        let all = try meja.list()
        let capped = try meja.records(RecordQuery(), offset: 0, limit: 5, countLimit: 10)
        #expect(capped.total == 10 && capped.totalIsLowerBound)
        #expect(capped.records.map(\.id) == all.prefix(5).map(\.id), "the same order as `sinkron list`")
        let later = try meja.records(RecordQuery(), offset: 20, limit: 5)
        #expect(later.total == 30 && !later.totalIsLowerBound && later.records.map(\.id) == all.dropFirst(20).prefix(5).map(\.id))
        let plain = try sandbox.replica("plain", role: .stafTI)
        try Exchange.runs(from: meja, to: plain)
        let copy = try sandbox.replica("copy", role: .stafTI)
        try copy.prepareListIndexes()
        try Exchange.runs(from: meja, to: copy)
        let table = "SELECT * FROM bug_reports ORDER BY id"
        #expect(try plain.rows(table) == copy.rows(table) && copy.rows(table) == meja.rows(table), "the local index changes nothing materialised")
    }

    @Test func aFilterMatchingManyRowsReadsTheIndexInOrder() throws {
        let meja = try sandbox.replica("meja", role: .mejaSatu)
        try meja.prepareListIndexes()
        try meja.fill(records: 2_100, sets: 500, batch: 1_000, seed: 5) { _ in }
        let all = try meja.list()
        let waiting = try meja.records(RecordQuery(waitingFor: .mejaSatu), offset: 100, limit: 20, countLimit: 5_000)
        #expect(waiting.total == 2_100 && waiting.records.map(\.id) == all.dropFirst(100).prefix(20).map(\.id))
        let none = try meja.records(RecordQuery(waitingFor: .kasubbag))
        #expect(none.total == 0 && none.records.isEmpty)
    }

    @Test func keepingAValueOfAConflictReplacesBothWritesAndDeletesNothing() throws {
        let meja = try sandbox.replica("meja", role: .mejaSatu)
        let staf = try sandbox.replica("staf", role: .stafTI)
        let id = try meja.fileBug(title: "a", description: "d")
        try Exchange.runs(from: meja, to: staf)
        try meja.setField(id.hex, field: "title", value: "from meja")
        try staf.setField(id.hex, field: "title", value: "from staf")
        try Exchange.runs(from: meja, to: staf)
        try Exchange.runs(from: staf, to: meja)
        let conflict = try #require(try staf.conflicts().first)
        #expect(try !staf.isSettled(conflict))
        let done = try staf.resolveConflict(id.hex, field: "title", keep: conflict.loser, author: "Andi")
        #expect(Set(done.replaces) == Set([conflict.winner, conflict.loser]))
        #expect(try staf.show(id.hex).fields["title"] == conflict.loserValue)
        #expect(try staf.isSettled(conflict))
        try Exchange.runs(from: staf, to: meja)
        #expect(try meja.show(id.hex).fields["title"] == conflict.loserValue && meja.digest() == staf.digest())
        #expect(try meja.conflicts().count == 1, "the conflict stays recorded")
        #expect(throws: ReplicaError.self) { try staf.resolveConflict(id.hex, field: "title", keep: "00:1") }
    }

    @Test func theOverviewCountsOpenLateAndTimePerStep() throws {
        let meja = try sandbox.replica("meja", role: .mejaSatu)
        let staf = try sandbox.replica("staf", role: .stafTI)
        let id = try meja.fileBug(title: "a", description: "d")
        _ = try meja.fileBug(title: "b", description: "d")
        try Exchange.runs(from: meja, to: staf)
        try staf.completeStep(id.hex, branch: .ya)
        let later = staf.courtDate.addingTimeInterval(7200)
        let o = try staf.overview(now: later)
        let bugs = o.perSOP.first { $0.key == "BUG" }
        #expect(bugs?.open == 2 && bugs?.late == 2)
        #expect(o.perDesk.first { $0.key == "staf-ti" }?.open == 2)
        #expect(o.weeks.count == 8 && o.weeks.last?.opened == 2)
        #expect(o.stepTimes.map(\.step) == [1, 2])
    }

    @Test func aLongLivedReaderSeesOriginsAnotherProcessAdded() throws {
        let meja = try sandbox.replica("meja", role: .mejaSatu)
        let staf = try sandbox.replica("staf", role: .stafTI)
        let reader = try sandbox.reopen("staf")
        let id = try meja.fileBug(title: "a", description: "d")
        try Exchange.runs(from: meja, to: staf)
        try reader.refresh()
        #expect(try reader.history(id.hex).count == 2, "the create and step 1 of an origin new to the reader")
        #expect(try reader.changeMark() == staf.changeMark())
    }
}
