import Foundation
import ReplicaTesting
import Testing

@testable import Replica

/// Court data the admin keeps as signed, replicated operations: the calendar SOP times are
/// measured in, schedules of routine work, and the letter a bug report or deletion request needs.
/// All of it is a function of the operations held, so replicas that hold the same ones agree.
@Suite("Court data") struct CourtDataTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    private func code(_ expected: ReplicaError.Code, containing text: String = "", sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        #expect(sourceLocation: sourceLocation) { try body() } throws: { error in
            guard let e = error as? ReplicaError else { return false }
            return e.code == expected && (text.isEmpty || e.message.contains(text))
        }
    }

    // MARK: Calendar

    @Test func aNewCourtStartsWithTheDefaultCalendarAsCourtData() throws {
        let admin = try sandbox.founder("kasub", role: .kasubbag)
        let desk = try sandbox.member("staf", role: .stafTI, invitedBy: admin)
        for r in [admin, desk] {
            let court = try r.courtCalendar()
            #expect(court.replicated && court.calendar.zone == .wib)
            #expect(court.calendar.holidays.count == WorkingCalendar.shippedHolidays.count)
            #expect(court.calendar.hours == WorkingCalendar.governmentHours)
            #expect(court.sources["2026"]?.contains("1497 Tahun 2025") == true)
        }
    }

    @Test func onlyTheAdminChangesTheCalendarAndEveryReplicaFollows() throws {
        // Monday 12 January 2026, 09:00 WITA.
        let clock = ManualClock(UInt64(WorkingTimeTests.at(.wita, 2026, 1, 12, 9).timeIntervalSince1970 * 1000))
        let admin = try sandbox.founder("kasub", role: .kasubbag, clock: clock)
        let desk = try sandbox.member("staf", role: .stafTI, invitedBy: admin, clock: clock)
        code(.notPermitted, containing: "only the court admin") { try desk.setCourtZone(.wita) }
        code(.notPermitted) { try desk.addHoliday(date: "2026-01-13", kind: .libur, name: "Hari jadi kabupaten") }
        code(.notPermitted) { try desk.removeHoliday(date: "2026-01-01") }
        code(.notPermitted) { try desk.setWorkingHours(weekdays: [7], spans: [.init((8, 0), (12, 0))]) }
        code(.invalidInput) { try admin.addHoliday(date: "2026-02-30", kind: .libur, name: "x") }
        code(.notFound) { try admin.removeHoliday(date: "2026-01-13") }
        code(.invalidInput) { try admin.setWorkingHours(weekdays: [2], spans: try WorkingCalendar.parseSpans("08:00-12:00,11:00-13:00")) }

        // A member writing a setting straight into its log is refused on every replica.
        try desk.commit([.setting(CourtSetting(key: "zone", value: "WIT"))])
        try Exchange.runs(from: desk, to: admin)
        #expect(admin.courtZone == .wib && desk.courtZone == .wib)
        #expect(try admin.alerts().contains { $0.kind == "refused-setting" })

        // Tuesday 13 January 2026 closed, Saturday mornings open, in WITA.
        try admin.setCourtZone(.wita)
        try admin.addHoliday(date: "2026-01-13", kind: .libur, name: "Hari jadi kabupaten")
        try admin.setWorkingHours(weekdays: [7], spans: try WorkingCalendar.parseSpans("08:00-12:00"))
        try admin.removeHoliday(date: "2026-01-16")
        try Exchange.meshUntilEqual([admin, desk])
        #expect(try admin.digest() == desk.digest())
        let calendar = desk.workingCalendar
        #expect(calendar.zone == .wita && calendar.holidays["2026-01-13"]?.name == "Hari jadi kabupaten" && calendar.holidays["2026-01-16"] == nil)
        let day = try TimeStandard("1 hari kerja")
        // Monday 10:00 + 1 working day skips the closed Tuesday.
        #expect(calendar.due(from: WorkingTimeTests.at(.wita, 2026, 1, 12, 10), day) == WorkingTimeTests.at(.wita, 2026, 1, 14, 10))
        // Friday 16:30 + 1 hour: Saturday morning is working time now.
        #expect(calendar.due(from: WorkingTimeTests.at(.wita, 2026, 1, 9, 16, 30), try TimeStandard("1 jam")) == WorkingTimeTests.at(.wita, 2026, 1, 10, 8, 30))
        // Isra Mikraj, removed, is a working day again.
        #expect(calendar.due(from: WorkingTimeTests.at(.wita, 2026, 1, 15, 10), day) == WorkingTimeTests.at(.wita, 2026, 1, 16, 10))
        // The desk's overdue list reads the same calendar.
        clock.set(UInt64(WorkingTimeTests.at(.wita, 2026, 1, 12, 10).timeIntervalSince1970 * 1000))
        let task = try desk.addTask(sop: "UPGRADE")
        #expect(try desk.show(task.hex).summary.due == WorkingTimeTests.at(.wita, 2026, 1, 14, 10))
        #expect(try desk.list(overdueOnly: true, now: WorkingTimeTests.at(.wita, 2026, 1, 13, 23)).isEmpty)
        #expect(try desk.list(overdueOnly: true, now: WorkingTimeTests.at(.wita, 2026, 1, 14, 10, 5)).map(\.id) == [task.hex])
    }

    /// The shipped working-time cases (a weekend, a holiday, cuti bersama, a range, "relatif"),
    /// measured in the calendar a desk reads from its replica after the admin set the zone.
    @Test(arguments: CourtZone.allCases)
    func theReplicatedCalendarMeasuresTheSeedTimes(zone: CourtZone) throws {
        let admin = try sandbox.founder("kasub", role: .kasubbag)
        if zone != .wib { try admin.setCourtZone(zone) }
        let desk = try sandbox.member("staf", role: .stafTI, invitedBy: admin)
        let calendar = desk.workingCalendar
        #expect(calendar.zone == zone)
        for c in WorkingTimeTests.cases {
            let from = WorkingTimeTests.at(zone, c.from.0, c.from.1, c.from.2, c.from.3, c.from.4)
            let due = calendar.due(from: from, try TimeStandard(c.time))
            #expect(due == c.due.map { WorkingTimeTests.at(zone, $0.0, $0.1, $0.2, $0.3, $0.4) }, "\(c.what)")
        }
    }

    // MARK: Flows held in the replica

    @Test func aRecordFoldsOnlyFromADefinitionTheReplicaHolds() throws {
        let admin = try sandbox.founder("kasub", role: .kasubbag)
        let desk = try sandbox.member("staf", role: .stafTI, invitedBy: admin)
        // A flow shipped without a table: the court writes its own, and an unpinned record of it
        // (made by an older release) follows the court's version 1, which no template has.
        var pok = try #require(try JSONSerialization.jsonObject(with: Data(SOPBookTests.revisedBackup().utf8)) as? [String: Any])
        pok["code"] = "REVISI-POK"
        try admin.reviseFlow("REVISI-POK", definition: String(decoding: try JSONSerialization.data(withJSONObject: pok), as: UTF8.self))
        let legacy = RecordID.random()
        try desk.commit([.create(record: legacy, kind: .task, sop: "REVISI-POK", fields: [FieldValue(.title, "lama")])])
        #expect(try desk.show(legacy.hex).summary.status == "waiting", "the desk has not received the court's flow yet")
        try Exchange.runs(from: admin, to: desk)
        #expect(try desk.show(legacy.hex).summary.status == "open" && desk.show(legacy.hex).summary.step == 1)
        // A record pinned to a version this replica lacks waits too, instead of following the binary.
        let ahead = RecordID.random()
        try desk.commit([.create(record: ahead, kind: .task, sop: "BACKUP@2", fields: [])])
        #expect(try desk.show(ahead.hex).summary.status == "waiting" && desk.show(ahead.hex).summary.step == nil)
        try admin.reviseFlow("BACKUP", definition: try SOPBookTests.revisedBackup())
        try Exchange.meshUntilEqual([admin, desk])
        #expect(try desk.show(ahead.hex).summary.status == "open")
        #expect(try admin.digest() == desk.digest())
        // A flow the court retired starts no record, whatever the desk's templates hold.
        try admin.retireFlow("WIFI")
        try Exchange.runs(from: admin, to: desk)
        code(.invalidInput, containing: "retired") { _ = try desk.addTask(sop: "WIFI") }
    }

    // MARK: Schedules

    @Test func scheduledInstancesMadeOnTwoNodesAreOneRecord() throws {
        // Monday 2 March 2026, 09:00 WIB.
        let clock = ManualClock(UInt64(WorkingTimeTests.at(.wib, 2026, 3, 2, 9).timeIntervalSince1970 * 1000))
        let admin = try sandbox.founder("kasub", role: .kasubbag, clock: clock)
        let a = try sandbox.member("staf-a", role: .stafTI, invitedBy: admin, clock: clock)
        let b = try sandbox.member("staf-b", role: .stafTI, invitedBy: admin, clock: clock)
        let meja = try sandbox.member("meja", role: .mejaSatu, invitedBy: admin, clock: clock)
        code(.notPermitted, containing: "only the court admin") {
            _ = try a.addSchedule(Schedule(id: "backup-harian", sop: "BACKUP", every: .daily, assignee: .stafTI, from: "2026-03-01"))
        }
        code(.invalidInput) { _ = try admin.addSchedule(Schedule(id: "Bad Name", sop: "BACKUP", every: .daily, assignee: .stafTI, from: "2026-03-01")) }
        code(.invalidInput) { _ = try admin.addSchedule(Schedule(id: "bug", sop: "BUG", every: .daily, assignee: .stafTI, from: "2026-03-01")) }
        try admin.addSchedule(Schedule(id: "backup-harian", sop: "BACKUP", every: .daily, assignee: .stafTI, from: "2026-03-01"))
        try admin.addSchedule(Schedule(id: "laporan-bulanan", sop: "HIMPUN-LAPORAN", every: .monthly, assignee: .stafTI, title: "Laporan bulanan", from: "2026-03-01"))
        try admin.addSchedule(Schedule(id: "rkakl", sop: "RKAKL", every: .yearly, assignee: .kasubbag, from: "2027-01-01"))
        try Exchange.meshUntilEqual([admin, a, b, meja])
        #expect(try a.schedules().map(\.schedule.id) == ["backup-harian", "laporan-bulanan", "rkakl"])
        // Both staf desks make this period's instances before they meet; meja makes none.
        let madeA = try a.runSchedules()
        let madeB = try b.runSchedules()
        #expect(madeA.count == 2 && Set(madeA) == Set(madeB))
        #expect(try meja.runSchedules().isEmpty)
        #expect(try a.runSchedules().isEmpty, "made once per period")
        try Exchange.meshUntilEqual([admin, a, b, meja])
        for r in [admin, a, b, meja] {
            #expect(try r.list(kind: .task).count == 2)
            #expect(try !r.alerts().contains { $0.kind == "duplicate-record" })
            #expect(try r.conflicts().isEmpty)
        }
        #expect(Set(try [admin, a, b, meja].map { try $0.digest() }).count == 1)
        let daily = try #require(try a.schedules().first { $0.schedule.id == "backup-harian" })
        let instance = try a.show(try #require(daily.current))
        #expect(instance.fields["due"] == "2026-03-02" && instance.fields["assignee"] == "staf-ti" && instance.summary.sop == "BACKUP@1")
        #expect(instance.summary.id == daily.schedule.instanceID(period: "2026-03-02").hex)
        // Edits after the double create merge like any others, whichever create each node saw first.
        clock.advance(by: 60_000)
        try b.setField(instance.summary.id, field: "notes", value: "backup ke harddisk eksternal")
        try a.setField(instance.summary.id, field: "assignee", value: "Andi")
        try Exchange.meshUntilEqual([meja, b, a, admin])
        #expect(Set(try [admin, a, b, meja].map { try $0.digest() }).count == 1)
        #expect(try meja.show(instance.summary.id).fields["assignee"] == "Andi" && meja.conflicts().isEmpty)
        // The next day brings the next daily instance, and nothing more for the month.
        clock.advance(by: 24 * 3_600_000)
        #expect(try a.runSchedules() == [daily.schedule.instanceID(period: "2026-03-03")])
        // Periods: ISO weeks, months, years, in the court's zone.
        let weekly = Schedule(id: "w", sop: "BACKUP", every: .weekly, assignee: .stafTI, from: "2026-01-01")
        #expect(weekly.period(of: WorkingTimeTests.at(.wit, 2026, 1, 1, 0, 30), in: .wit).key == "2026-W01")
        #expect(weekly.period(of: WorkingTimeTests.at(.wib, 2026, 12, 31, 12), in: .wib).key == "2026-W53")
        try admin.removeSchedule("backup-harian")
        code(.notFound) { try admin.removeSchedule("backup-harian") }
        try Exchange.runs(from: admin, to: a)
        #expect(try a.schedules().map(\.schedule.id) == ["laporan-bulanan", "rkakl"])
    }

    // MARK: Letters

    @Test func aLetterArrivingAloneRefoldsItsParent() throws {
        // The simulator's seeds 300182 and 300288 found this: a step event on a covered step,
        // folded before the letter existed, stayed out of order on the replica that then got
        // only the letter's create (the merge's prefetch did not read the parent).
        let clock = ManualClock()
        let meja = try sandbox.replica("meja", role: .mejaSatu, clock: clock)
        let staf = try sandbox.replica("staf", role: .stafTI, clock: clock)
        let bug = try meja.fileBug(title: "Tombol simpan tidak berfungsi", description: "error 500")
        try meja.commit([.step(record: bug, step: 7, branch: nil, note: "langsung")])
        try Exchange.meshUntilEqual([meja, staf])
        #expect(try staf.show(bug.hex).steps.last?.status == "out-of-order")
        _ = try staf.draftLetter(subject: "Pemberitahuan", recipient: "SATGAS SIPP", forRecord: bug.hex)
        #expect(try staf.show(bug.hex).steps.last?.status == "via-letter")
        // The desk that gets the letter's create by sync folds the bug report again too.
        try Exchange.runs(from: staf, to: meja)
        #expect(try meja.show(bug.hex).steps.last?.status == "via-letter")
        #expect(try meja.digest() == staf.digest() && meja.verifyTables().isEmpty)
    }

    @Test func aBugReportsLetterIsOneRecordWhicheverDeskDraftsIt() throws {
        let clock = ManualClock()
        let meja = try sandbox.replica("meja", role: .mejaSatu, clock: clock)
        let stafA = try sandbox.replica("staf-a", role: .stafTI, clock: clock)
        let stafB = try sandbox.replica("staf-b", role: .stafTI, clock: clock)
        let bug = try meja.fileBug(title: "Tombol simpan tidak berfungsi", description: "error 500")
        try Exchange.meshUntilEqual([meja, stafA, stafB])
        try stafA.completeStep(bug.hex, answer: "tidak")
        try stafA.completeStep(bug.hex)
        try Exchange.meshUntilEqual([meja, stafA, stafB])
        // Both desks draft the letter (step 5) before they meet again.
        let a = try stafA.completeStep(bug.hex, expectedStep: 5)
        clock.advance(by: 1000)
        let b = try stafB.completeStep(bug.hex, expectedStep: 5)
        #expect(a.next == 5 && b.next == 5 && a.nextActivity == b.nextActivity)
        try Exchange.meshUntilEqual([meja, stafA, stafB])
        let letter = Replica.letterID(for: bug)
        for r in [meja, stafA, stafB] {
            #expect(try r.list(kind: .letter).map(\.id) == [letter.hex])
            #expect(try !r.alerts().contains { $0.kind == "duplicate-record" })
            #expect(try r.conflicts().isEmpty)
            let parent = try r.show(bug.hex)
            #expect(parent.summary.step == 5 && parent.linked?.relation == "letter" && parent.linked?.id == letter.hex && parent.linked?.covers == "5-9")
            let child = try r.show(letter.hex)
            #expect(child.linked?.relation == "parent" && child.linked?.id == bug.hex && child.fields["recipient"] == "SATGAS SIPP")
        }
        #expect(Set(try [meja, stafA, stafB].map { try $0.digest() }).count == 1)
        // The desk pages list the letter as waiting for the Kasubbag, not the bug for staf TI.
        #expect(try stafA.records(RecordQuery(waitingFor: .stafTI)).records.isEmpty)
        #expect(try stafA.records(RecordQuery(waitingFor: .kasubbag)).records.map(\.id) == [letter.hex])
        // The parent's letter steps are done only through the letter.
        code(.invalidInput, containing: "through its letter") { _ = try stafA.completeStep(bug.hex) }
        code(.invalidInput, containing: "has its letter already") { _ = try stafA.draftLetter(subject: "lagi", recipient: "SATGAS SIPP", forRecord: bug.hex) }
        // A step event on a covered step written anyway counts for nothing.
        try stafA.commit([.step(record: bug, step: 5, branch: nil, note: "")])
        #expect(try stafA.show(bug.hex).steps.last?.status == "via-letter" && stafA.show(bug.hex).summary.step == 5)
    }
}
