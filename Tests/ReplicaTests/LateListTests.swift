import Foundation
import Replica
import ReplicaTesting
import Testing

/// The web lists' "late" filter and the overview's late counts against `list --overdue`: one rule,
/// the working calendar's due times, whatever the moment (nights, weekends, holidays, boundaries).
@Suite("Late lists") final class LateListTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    static func at(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ min: Int = 0) -> Date {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = CourtZone.wib.timeZone
        return c.date(from: DateComponents(year: y, month: m, day: d, hour: h, minute: min))!
    }

    /// Thursday 8 January 2026, 15:50 WIB: records filed before the close, a weekend ahead.
    func court() throws -> (staf: Replica, clock: ManualClock) {
        let clock = ManualClock(UInt64(Self.at(2026, 1, 8, 15, 50).timeIntervalSince1970 * 1000))
        let meja = try sandbox.replica("meja", role: .mejaSatu, clock: clock)
        let staf = try sandbox.replica("staf", role: .stafTI, clock: clock)
        // The court's book holds every shipped flow from its founding: records pin CODE@1.
        let admin = try Replica(home: sandbox.home("court-admin"), physicalClock: clock)
        try admin.adoptFlows(["BUG", "SINKRON"])
        try Exchange.runs(from: admin, to: meja)
        try Exchange.runs(from: admin, to: staf)
        _ = try meja.fileBug(title: "layar putih", description: "d")
        clock.advance(by: 20 * 60_000)
        _ = try meja.fileDeletion(caseNumber: "7/Pdt.P/2026/PN Bls", reason: "ganda")
        try Exchange.runs(from: meja, to: staf)
        _ = try staf.addTask(sop: "SINKRON")
        _ = try staf.addTask(sop: "UPGRADE")
        _ = try staf.addTask(sop: "BACKUP", due: "2026-01-09")
        _ = try staf.addTask(sop: "BACKUP", due: "2026-01-09T10:00")
        let care = try staf.addTask(sop: "PEMELIHARAAN-SIPP")
        try staf.completeStep(care.hex)
        try staf.completeStep(care.hex)
        #expect(try staf.list().contains { $0.sop == "BUG@1" } && staf.list().contains { $0.sop == "HAPUS@1" })
        return (staf, clock)
    }

    func lateIDs(_ r: Replica, _ now: Date) throws -> (list: [String], page: [String], total: Int, overview: Int) {
        let list = try r.list(overdueOnly: true, now: now).map(\.id)
        let page = try r.records(RecordQuery(lateOnly: true), limit: 100, now: now)
        let overview = try r.overview(now: now).perSOP.map(\.late).reduce(0, +)
        return (list, page.records.map(\.id), page.total, overview)
    }

    @Test func theWebFilterAndTheOverviewCountWhatListOverdueShows() throws {
        let (staf, _) = try court()
        var now = Self.at(2026, 1, 8, 15, 55)
        var seen: Set<Int> = []
        // Thursday evening to Tuesday morning, every 47 minutes (a weekend and a night between).
        while now < Self.at(2026, 1, 13, 10) {
            let late = try lateIDs(staf, now)
            #expect(late.page == late.list, "at \(now)")
            #expect(late.total == late.list.count && late.overview == late.list.count, "at \(now)")
            seen.insert(late.list.count)
            now = now.addingTimeInterval(47 * 60)
        }
        #expect(seen.count >= 3, "records fall late one after another: \(seen.sorted())")
    }

    @Test func aRecordIsLateFromTheMillisecondAfterItsDueTime() throws {
        let (staf, _) = try court()
        for record in try staf.list() {
            guard let due = record.due else { continue }
            let before = try lateIDs(staf, due)
            let after = try lateIDs(staf, due.addingTimeInterval(0.001))
            #expect(!before.list.contains(record.id) && !before.page.contains(record.id), "\(record.sop) is not late at its due time")
            #expect(after.list.contains(record.id) && after.page.contains(record.id), "\(record.sop) is late just after")
        }
    }

    @Test func theCutoffIsTheLastStartThatIsLate() throws {
        let calendar = WorkingCalendar(zone: .wib)
        for text in ["1 menit", "15 menit", "2 jam", "1 hari kerja", "3 hari"] {
            let standard = try TimeStandard(text)
            for now in [Self.at(2026, 1, 12, 8, 7), Self.at(2026, 1, 10, 11), Self.at(2026, 1, 9, 16, 59)] {
                let cutoff = try #require(calendar.lateCutoff(standard, at: now))
                let last = Date(timeIntervalSince1970: Double(cutoff) / 1000)
                let next = Date(timeIntervalSince1970: Double(cutoff + 1) / 1000)
                #expect(calendar.due(from: last, standard)! < now, "\(text) at \(now)")
                #expect(calendar.due(from: next, standard)! >= now, "\(text) at \(now)")
            }
        }
        #expect(calendar.lateCutoff(try TimeStandard("relatif"), at: Date()) == nil)
    }
}
