import Foundation
import Testing

@testable import Replica

/// The calendar reads days, office hours and flow codes by hand rather than with `Calendar`,
/// `DateFormatter` and regexes (which cost a desk command more than its own work). Each hand
/// reading is held here to the library reading it replaced.
@Suite("Calendar fast paths") struct CalendarFastPathTests {
    /// The check `checkDay` made before it read days by hand.
    static func formatterDay(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(secondsFromGMT: 0)
        f.dateFormat = "yyyy-MM-dd"
        guard t.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil, let d = f.date(from: t), f.string(from: d) == t else { return nil }
        return t
    }

    static let days: [String] = {
        var out = [
            "2026-02-29", "2024-02-29", "2100-02-29", "2000-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
            "2026-04-30", "2026-01-00", " 2026-03-20 ", "2026-3-20", "20260-3-20", "2026/03/20", "", "abcd-ef-gh", "1582-10-10",
            "1582-10-15", "1583-01-01", "1500-02-29", "0000-01-01", "9999-12-31", "2026-03-20\n", "２０２６-03-20", "2026-03-2x",
        ]
        for year in [1970, 2024, 2025, 2026, 2100] {
            for month in 1...12 {
                for day in [1, 28, 29, 30, 31] { out.append(String(format: "%04d-%02d-%02d", year, month, day)) }
            }
        }
        return out
    }()

    @Test(arguments: days)
    func dayChecksAgreeWithTheFormatter(_ text: String) {
        #expect((try? WorkingCalendar.checkDay(text)) == Self.formatterDay(text))
    }

    /// The parse `parseSpans` made before it read spans by hand.
    static func regexSpans(_ text: String) -> [WorkingCalendar.Span]? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "off" || t == "closed" || t == "libur" { return [] }
        var out: [WorkingCalendar.Span] = []
        for part in t.split(separator: ",") {
            let p = part.trimmingCharacters(in: .whitespaces)
            guard let m = p.wholeMatch(of: /([0-9]{1,2}):([0-9]{2}) ?- ?([0-9]{1,2}):([0-9]{2})/),
                let h1 = Int(m.output.1), let m1 = Int(m.output.2), let h2 = Int(m.output.3), let m2 = Int(m.output.4),
                h1 < 24, m1 < 60, h2 <= 24, m2 < 60
            else { return nil }
            out.append(WorkingCalendar.Span((h1, m1), (h2, m2)))
        }
        return out
    }

    @Test(arguments: [
        "08:00-12:00", "08:00-12:00,13:00-16:30", "8:00 - 12:00", "8:00- 12:00", "08:00  -12:00", "off", " Libur ", "08:0-12:00",
        "008:00-12:00", "08:00-24:00", "08:00-24:60", "24:00-24:00", "08:00-12:00,", ",08:00-12:00", "08:00–12:00", "08:00-12:00x",
        "08:60-12:00", "٠٨:00-12:00", "1:05-2:07", "", "-", "08:00-12:00, 13:00-14:00",
    ])
    func spanParsesAgreeWithTheRegex(_ text: String) {
        let parsed = try? WorkingCalendar.parseSpans(text)
        #expect(parsed.map { $0.map(\.description) } == Self.regexSpans(text).map { $0.map(\.description) })
    }

    @Test(arguments: CourtZone.allCases)
    func daysAndSpansAgreeWithFoundationsCalendar(_ zone: CourtZone) {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone.timeZone
        let calendar = WorkingCalendar(zone: zone)
        // Every 7 hours and 13 minutes over three years: every weekday, hour and holiday shape.
        var t = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01 UTC
        let end = t.addingTimeInterval(3 * 366 * 86_400)
        while t < end {
            let d = c.dateComponents([.year, .month, .day], from: t)
            #expect(calendar.dayKey(t) == String(format: "%04d-%02d-%02d", d.year!, d.month!, d.day!))
            let midnight = c.startOfDay(for: t)
            let expected: [(Date, Date)] =
                calendar.holidays[calendar.dayKey(t)] != nil
                ? []
                : (calendar.hours[c.component(.weekday, from: midnight)] ?? []).map {
                    (midnight.addingTimeInterval(Double($0.start * 60)), midnight.addingTimeInterval(Double($0.end * 60)))
                }
            let spans = calendar.spans(ofDayHolding: t)
            #expect(spans.map(\.start) == expected.map(\.0) && spans.map(\.end) == expected.map(\.1))
            t = t.addingTimeInterval(7 * 3600 + 13 * 60)
        }
    }

    @Test(arguments: ["BUG", "A", "SURAT-KELUAR", "X1-2", "-BUG", "bug", "BUG\n", "BUG ", "", String(repeating: "A", count: 32), String(repeating: "A", count: 33), "BÜG"])
    func flowCodesAgreeWithTheRegex(_ code: String) {
        let regex = code.range(of: #"^[A-Z0-9][A-Z0-9-]{0,31}$"#, options: .regularExpression) != nil
        // The hand check may refuse what the regex takes (it then asks the regex), never the reverse.
        #expect(!SOPTemplates.isPlainCode(code) || regex)
        if code != "BUG\n" { #expect(SOPTemplates.isPlainCode(code) == regex) }
    }
}
