import Foundation
import ReplicaResources

/// The time zones of Indonesia's courts. None keeps daylight saving, so each is a fixed offset.
public enum CourtZone: String, CaseIterable, Sendable, Hashable {
    /// Waktu Indonesia Barat (Sumatra, Java, West and Central Kalimantan), UTC+7.
    case wib = "WIB"
    /// Waktu Indonesia Tengah (Bali, Nusa Tenggara, South/East/North Kalimantan, Sulawesi), UTC+8.
    case wita = "WITA"
    /// Waktu Indonesia Timur (Maluku, Papua), UTC+9.
    case wit = "WIT"

    public var hoursFromUTC: Int {
        switch self {
        case .wib: 7
        case .wita: 8
        case .wit: 9
        }
    }

    public var timeZone: TimeZone { TimeZone(secondsFromGMT: hoursFromUTC * 3600) ?? TimeZone(identifier: "UTC")! }

    public init?(name: String) { self.init(rawValue: name.uppercased()) }
}

/// A day the court is closed although it is a weekday.
public struct Holiday: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// Hari libur nasional.
        case libur
        /// Cuti bersama: collective leave, on which government offices close too.
        case cutiBersama = "cuti-bersama"
    }

    /// `yyyy-MM-dd`.
    public let date: String
    public let kind: Kind
    public let name: String

    public init(date: String, kind: Kind, name: String) {
        self.date = date
        self.kind = kind
        self.name = name
    }
}

/// The court's working time: its zone, its office hours per weekday and its closed days. Time
/// standards are measured in it: minutes and hours run only within office hours, days count
/// working days, and nothing runs on weekends, national holidays or cuti bersama.
public struct WorkingCalendar: Sendable {
    /// Office hours of one day, as minutes after midnight (start inclusive, end exclusive).
    public struct Span: Sendable, Hashable {
        public let start: Int
        public let end: Int

        public init(_ start: (Int, Int), _ end: (Int, Int)) {
            self.start = start.0 * 60 + start.1
            self.end = end.0 * 60 + end.1
        }
    }

    public var zone: CourtZone
    /// Office hours by weekday (1 = Sunday … 7 = Saturday, as `Calendar` counts).
    public var hours: [Int: [Span]]
    /// Closed days by `yyyy-MM-dd`.
    public var holidays: [String: Holiday]

    /// Default office hours of an Indonesian government office: a five-day week of 37.5 working
    /// hours (Perpres 21/2023), Monday–Thursday 08:00–16:30 with a break 12:00–13:00, Friday
    /// 08:00–17:00 with the longer Friday-prayer break 11:30–13:00.
    public static let governmentHours: [Int: [Span]] = {
        let weekday = [Span((8, 0), (12, 0)), Span((13, 0), (16, 30))]
        let friday = [Span((8, 0), (11, 30)), Span((13, 0), (17, 0))]
        return [2: weekday, 3: weekday, 4: weekday, 5: weekday, 6: friday]
    }()

    public init(zone: CourtZone, hours: [Int: [Span]] = WorkingCalendar.governmentHours, holidays: [Holiday] = WorkingCalendar.shippedHolidays) {
        self.zone = zone
        self.hours = hours
        self.holidays = Dictionary(holidays.map { ($0.date, $0) }, uniquingKeysWith: { a, _ in a })
    }

    // MARK: Shipped holidays

    /// The national holidays and cuti bersama shipped in `holidays.json`, with their source.
    public static let shippedHolidays: [Holiday] = shipped.days
    /// Where each shipped year's list comes from, by year.
    public static let holidaySources: [String: String] = shipped.sources

    private static let shipped: (days: [Holiday], sources: [String: String]) = {
        struct File: Decodable {
            struct Day: Decodable {
                var date: String
                var kind: String
                var name: String
            }
            struct Year: Decodable {
                var source: String
                var days: [Day]
            }
            var years: [String: Year]
        }
        guard let data = ReplicaResources.data("holidays", extension: "json"),
            let file = try? JSONDecoder().decode(File.self, from: data)
        else { return ([], [:]) }
        var days: [Holiday] = []
        for (_, year) in file.years.sorted(by: { $0.key < $1.key }) {
            for d in year.days {
                guard let kind = Holiday.Kind(rawValue: d.kind), d.date.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil else { continue }
                days.append(Holiday(date: d.date, kind: kind, name: d.name))
            }
        }
        return (days, file.years.mapValues(\.source))
    }()

    // MARK: Days

    // Days are arithmetic, as in `format`: the zones keep a fixed offset and dates here are
    // after 1970, where the Gregorian calendar holds. A due time walks dozens of days, and a
    // `Calendar` made and asked for each cost more than the rest of a list line.

    /// Days since 1970-01-01 of the court-time day holding `date`.
    private func dayNumber(_ date: Date) -> Int {
        Int(((date.timeIntervalSince1970 + Double(zone.hoursFromUTC * 3600)) / 86_400).rounded(.down))
    }

    /// Court-time midnight of day `number`.
    private func midnight(ofDay number: Int) -> Date {
        Date(timeIntervalSince1970: Double(number * 86_400 - zone.hoursFromUTC * 3600))
    }

    private func startOfDay(_ date: Date) -> Date { midnight(ofDay: dayNumber(date)) }

    /// `yyyy-MM-dd` of the day holding `date`, in the court's zone.
    public func dayKey(_ date: Date) -> String {
        let (y, m, d) = Self.civil(fromDays: dayNumber(date))
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// The office hours of the day holding `date` as absolute spans; none on a closed day.
    func spans(ofDayHolding date: Date) -> [(start: Date, end: Date)] {
        let day = dayNumber(date)
        let midnight = midnight(ofDay: day)
        guard holidays[dayKey(midnight)] == nil else { return [] }
        // 1970-01-01 was a Thursday: weekday 5 as `Calendar` counts (1 = Sunday).
        let weekday = ((day % 7 + 7) % 7 + 4) % 7 + 1
        return (hours[weekday] ?? []).map {
            (midnight.addingTimeInterval(Double($0.start * 60)), midnight.addingTimeInterval(Double($0.end * 60)))
        }
    }

    /// Midnight of the day after the one holding `date`.
    private func nextDay(_ date: Date) -> Date {
        midnight(ofDay: dayNumber(date) + 1)
    }

    /// A bound on how far the walks look ahead: a year and a half of days, far beyond any SOP.
    static let horizonDays = 550

    /// The first working moment at or after `date`, with the day's spans.
    func nextWorkingMoment(_ date: Date) -> Date? {
        var day = date
        for _ in 0..<Self.horizonDays {
            for span in spans(ofDayHolding: day) where date < span.end {
                return max(date, span.start)
            }
            day = nextDay(day)
        }
        return nil
    }

    /// `start` plus `minutes` working minutes.
    func adding(minutes: Int, to start: Date) -> Date? {
        guard var at = nextWorkingMoment(start) else { return nil }
        var left = Double(minutes * 60)
        var day = at
        for _ in 0..<Self.horizonDays {
            for span in spans(ofDayHolding: day) where at < span.end {
                let from = max(at, span.start)
                let room = span.end.timeIntervalSince(from)
                if left <= room { return from.addingTimeInterval(left) }
                left -= room
                at = span.end
            }
            day = nextDay(day)
        }
        return nil
    }

    /// The working days after the one holding `date`: the first `count` of them.
    private func workingDays(after date: Date, count: Int) -> [Date] {
        var out: [Date] = []
        var day = nextDay(date)
        for _ in 0..<Self.horizonDays where out.count < count {
            if !spans(ofDayHolding: day).isEmpty { out.append(day) }
            day = nextDay(day)
        }
        return out
    }

    /// `start` plus `days` working days: the same time of day on the `days`-th working day after
    /// it (or that day's last working moment before that time). Work started before a day's
    /// office hours, or on a closed day, counts that day (or the next working one) as its first.
    func adding(days: Int, to start: Date) -> Date? {
        guard let at = nextWorkingMoment(start) else { return nil }
        let spans = spans(ofDayHolding: at)
        if let first = spans.first, at == first.start {
            // Nothing of this day has been used: it is the first of the days.
            let last = days == 1 ? at : workingDays(after: at, count: days - 1).last
            return last.flatMap { self.spans(ofDayHolding: $0).last?.end }
        }
        guard let target = workingDays(after: at, count: days).last, days > 0 else { return nil }
        let clock = at.timeIntervalSince(startOfDay(at))
        let wanted = startOfDay(target).addingTimeInterval(clock)
        let targetSpans = self.spans(ofDayHolding: target)
        if let inside = targetSpans.first(where: { $0.start <= wanted && wanted <= $0.end }) { return max(inside.start, wanted) }
        // Outside office hours that day: the last working moment before it, or the day's opening.
        return targetSpans.last(where: { $0.end <= wanted })?.end ?? targetSpans.first?.start
    }

    /// When work started at `start` under `standard` is due; nil when the standard sets no deadline.
    public func due(from start: Date, _ standard: TimeStandard) -> Date? {
        guard let limit = standard.limit else { return nil }
        switch limit.unit {
        case .minute, .hour: return adding(minutes: limit.minutes ?? 0, to: start)
        case .day: return adding(days: limit.value, to: start)
        }
    }

    /// "2026-03-25 08:30 WIB".
    public func format(_ date: Date) -> String {
        // Indonesia's zones keep a fixed offset (no summer time), so the civil date is
        // arithmetic: a list prints dozens of dates, and a DateFormatter each cost more than the
        // rest of the line.
        let seconds = Int((date.timeIntervalSince1970).rounded(.down)) + zone.hoursFromUTC * 3600
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let minuteOfDay = (seconds - days * 86_400) / 60
        let (y, m, d) = Self.civil(fromDays: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(d)) \(two(minuteOfDay / 60)):\(two(minuteOfDay % 60)) \(zone.rawValue)"
    }

    /// The proleptic Gregorian date of a day count from 1970-01-01 (H. Hinnant's `civil_from_days`).
    static func civil(fromDays z: Int) -> (year: Int, month: Int, day: Int) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
