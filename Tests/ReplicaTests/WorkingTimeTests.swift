import Foundation
import ReplicaTesting
import Testing

@testable import Replica

/// SOP time standards measured in the court's working time: office hours, weekends, national
/// holidays and cuti bersama (2026), ranges and "relatif", in each of Indonesia's time zones.
@Suite("Working time") struct WorkingTimeTests {
    /// A wall-clock reading in the court's zone.
    static func at(_ zone: CourtZone, _ y: Int, _ m: Int, _ d: Int, _ h: Int, _ min: Int = 0) -> Date {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone.timeZone
        return c.date(from: DateComponents(year: y, month: m, day: d, hour: h, minute: min))!
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var what: String
        var time: String
        var from: (Int, Int, Int, Int, Int)
        /// The due reading on the court's wall clock; nil: no deadline.
        var due: (Int, Int, Int, Int, Int)?
        var testDescription: String { what }
    }

    static let cases: [Case] = [
        Case(what: "a working day from Friday afternoon is Monday afternoon, not Friday night", time: "1 hari kerja", from: (2026, 1, 9, 15, 0), due: (2026, 1, 12, 15, 0)),
        Case(what: "hours stop at Friday's close and go on Monday morning", time: "2 jam", from: (2026, 1, 9, 16, 0), due: (2026, 1, 12, 9, 0)),
        Case(what: "minutes skip the lunch break", time: "15 menit", from: (2026, 1, 5, 11, 50), due: (2026, 1, 5, 13, 5)),
        Case(what: "work filed on Saturday has all of Monday", time: "1 hari kerja", from: (2026, 1, 10, 10, 0), due: (2026, 1, 12, 16, 30)),
        Case(what: "a national holiday is skipped (17 August, Monday)", time: "1 hari kerja", from: (2026, 8, 14, 10, 0), due: (2026, 8, 18, 10, 0)),
        Case(what: "cuti bersama and Christmas are skipped", time: "1 hari kerja", from: (2026, 12, 23, 14, 0), due: (2026, 12, 28, 14, 0)),
        Case(what: "minutes carry over cuti bersama", time: "30 menit", from: (2026, 12, 23, 16, 15), due: (2026, 12, 28, 8, 15)),
        Case(what: "Kenaikan (holiday) and its cuti bersama are skipped", time: "3 jam", from: (2026, 5, 13, 15, 0), due: (2026, 5, 18, 9, 30)),
        Case(what: "Lebaran: six closed days in a row", time: "1 hari kerja", from: (2026, 3, 17, 10, 0), due: (2026, 3, 25, 10, 0)),
        Case(what: "a range is due at its upper end", time: "1 jam - 3hari", from: (2026, 1, 5, 9, 0), due: (2026, 1, 8, 9, 0)),
        Case(what: "a range of minutes is due at its upper end", time: "15-30 menit", from: (2026, 1, 5, 9, 0), due: (2026, 1, 5, 9, 30)),
        Case(what: "several working days", time: "3 Hari Kerja", from: (2026, 1, 7, 10, 0), due: (2026, 1, 12, 10, 0)),
        Case(what: "relatif sets no deadline", time: "Relatif", from: (2026, 1, 5, 9, 0), due: nil),
        Case(what: "situasional sets no deadline", time: "Situasional tergantung Jaringan", from: (2026, 1, 5, 9, 0), due: nil),
    ]

    @Test(arguments: CourtZone.allCases, cases)
    func dueTimesFollowTheCourtsWorkingTime(zone: CourtZone, c: Case) throws {
        let calendar = WorkingCalendar(zone: zone)
        let from = Self.at(zone, c.from.0, c.from.1, c.from.2, c.from.3, c.from.4)
        let due = calendar.due(from: from, try TimeStandard(c.time))
        guard let expected = c.due else {
            #expect(due == nil)
            return
        }
        let wanted = Self.at(zone, expected.0, expected.1, expected.2, expected.3, expected.4)
        #expect(due == wanted, "\(c.time) from \(calendar.format(from)): \(due.map(calendar.format) ?? "none"), wanted \(calendar.format(wanted))")
    }

    @Test func theSameWallClockIsAnotherInstantInEachZone() throws {
        let t = try TimeStandard("1 hari kerja")
        let dues = CourtZone.allCases.map { WorkingCalendar(zone: $0).due(from: Self.at($0, 2026, 1, 9, 15), t)! }
        #expect(dues[0].timeIntervalSince(dues[1]) == 3600 && dues[1].timeIntervalSince(dues[2]) == 3600)
        // One instant: Friday 16:00 WIB is 17:00 WITA, past the Friday close in WITA.
        let instant = Self.at(.wib, 2026, 1, 9, 16)
        #expect(WorkingCalendar(zone: .wib).due(from: instant, try TimeStandard("30 menit")) == Self.at(.wib, 2026, 1, 9, 16, 30))
        #expect(WorkingCalendar(zone: .wita).due(from: instant, try TimeStandard("30 menit")) == Self.at(.wita, 2026, 1, 12, 8, 30))
        #expect(WorkingCalendar(zone: .wit).due(from: instant, try TimeStandard("30 menit")) == Self.at(.wit, 2026, 1, 12, 8, 30))
    }

    @Test func theShippedHolidaysAreTheSKBOf2026() {
        let days = WorkingCalendar.shippedHolidays.filter { $0.date.hasPrefix("2026-") }
        #expect(days.filter { $0.kind == .libur }.count == 17)
        #expect(days.filter { $0.kind == .cutiBersama }.count == 8)
        #expect(WorkingCalendar.holidaySources["2026"]?.contains("1497 Tahun 2025") == true)
    }

    // MARK: At a replica

    @Test(arguments: CourtZone.allCases)
    func overdueIsMeasuredInWorkingTime(zone: CourtZone) throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        // Friday 9 January 2026, 15:00 on the court's wall clock.
        let friday = Self.at(zone, 2026, 1, 9, 15)
        let clock = ManualClock(UInt64(friday.timeIntervalSince1970 * 1000))
        let staf = try sandbox.replica("staf", role: .stafTI, clock: clock)
        // The zone is court data: the admin sets it, a desk cannot.
        #expect(throws: ReplicaError.self) { try staf.setCourtZone(zone) }
        let admin = try sandbox.reopen("court-admin", clock: clock)
        try admin.setCourtZone(zone)
        try Exchange.runs(from: admin, to: staf)
        #expect(staf.courtZone == zone)
        let sinkron = try staf.addTask(sop: "SINKRON")
        let upgrade = try staf.addTask(sop: "UPGRADE")
        let care = try staf.addTask(sop: "PEMELIHARAAN-SIPP")
        try staf.completeStep(care.hex)
        try staf.completeStep(care.hex)
        let sync = try staf.show(sinkron.hex, now: friday).summary
        #expect(sync.timeStandard == "5 menit" && sync.timeFor == "step")
        // The whole-procedure "1 hari kerja" of UPGRADE runs from creation, whatever the step.
        clock.advance(by: 60_000)
        try staf.completeStep(upgrade.hex)
        let up = try staf.show(upgrade.hex, now: friday).summary
        #expect(up.timeStandard == "1 hari kerja" && up.timeFor == "record" && up.step == 2)
        #expect(up.due == Self.at(zone, 2026, 1, 12, 15))
        let night = Self.at(zone, 2026, 1, 9, 23)
        #expect(try !staf.list(overdueOnly: true, now: night).contains { $0.id == upgrade.hex }, "not overdue on Friday night")
        let monday = Self.at(zone, 2026, 1, 12, 15, 10)
        let late = try #require(staf.list(overdueOnly: true, now: monday).first { $0.id == upgrade.hex })
        #expect(late.overdueMinutes == 10)
        // PEMELIHARAAN-SIPP step 3 is "relatif": never overdue.
        let relatif = try staf.show(care.hex, now: Self.at(zone, 2027, 1, 1, 9)).summary
        #expect(relatif.step == 3 && relatif.timeStandard == "relatif" && relatif.due == nil && !relatif.overdue)
    }
}

/// `WorkingCalendar.format` computes the civil date by arithmetic: it must agree with Foundation's
/// formatter in every zone, around midnight, month and year ends, leap days and before 1970.
@Suite("Court time formatting") struct CourtTimeFormatTests {
    @Test func formatAgreesWithFoundation() {
        var rng = SplitMix64(seed: 77)
        var instants: [Double] = [0, -1, -86_400, 951_782_400, 951_868_799, 1_767_196_799, 1_767_196_800, 4_102_444_800, -2_208_988_800]
        for _ in 0..<2_000 { instants.append(Double(Int64(rng.next() % 8_000_000_000) - 2_000_000_000) + Double(rng.next() % 1000) / 1000) }
        for zone in CourtZone.allCases {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = zone.timeZone
            f.dateFormat = "yyyy-MM-dd HH:mm"
            let calendar = WorkingCalendar(zone: zone)
            for t in instants {
                let date = Date(timeIntervalSince1970: t)
                let expected = f.string(from: date) + " " + zone.rawValue
                let actual = calendar.format(date)
                if actual != expected { Issue.record("\(t) in \(zone): \(actual), Foundation says \(expected)") }
            }
        }
    }
}
