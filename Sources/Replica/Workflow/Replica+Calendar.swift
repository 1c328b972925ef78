import Foundation

/// The court's working time as court data the admin keeps (see `CourtSetting`): its time zone,
/// office hours per weekday, and closed days. A founding admin's replica seeds them with the
/// defaults (WIB, the government office hours, the shipped national holidays and cuti bersama),
/// so every replica measures SOP time standards in the same calendar: due times are a function
/// of replicated state only.
///
/// A court founded before calendars were court data has no settings: it reads the node's local
/// zone (meta `court_zone`) and the built-in defaults until its admin sets or seeds them.
extension Replica {
    /// The court's time zone.
    public var courtZone: CourtZone { workingCalendar.zone }

    /// The calendar time standards are measured in, read from the court's settings.
    /// Read once per change of the settings: parsing them (every closed day of several years)
    /// costs more than a desk command's own work, and a command reads the calendar more than once.
    public var workingCalendar: WorkingCalendar {
        let settings = ((try? db.courtSettings()) ?? [:]).mapValues(\.value)
        let localZone = legacyZone
        if let memo = calendarMemo, memo.settings == settings, memo.localZone == localZone { return memo.calendar }
        let calendar = Self.calendar(from: settings, localZone: localZone)
        calendarMemo = (settings, localZone, calendar)
        return calendar
    }

    /// The zone a node of a court founded before calendars were court data was set to locally.
    private var legacyZone: CourtZone? {
        (try? db.cached("SELECT value FROM meta WHERE key = 'court_zone'").first { $0.optionalText(0) })
            .flatMap { $0 }.flatMap(CourtZone.init(name:))
    }

    /// Reads a calendar from settings (key → value). Pure: every replica holding the same
    /// settings gets the same calendar. Malformed values (which the admin API never writes) read
    /// as unset.
    static func calendar(from settings: [String: String], localZone: CourtZone? = nil) -> WorkingCalendar {
        let zone = settings["zone"].flatMap(CourtZone.init(name:)) ?? localZone ?? .wib
        var hours = WorkingCalendar.governmentHours
        for day in 1...7 {
            guard let text = settings["hours/\(day)"], !text.isEmpty, let spans = try? WorkingCalendar.parseSpans(text) else { continue }
            hours[day] = spans.isEmpty ? nil : spans
        }
        // Closed days: the replicated list once the court has one, else the shipped list.
        let keyed = settings.filter { $0.key.hasPrefix("holiday/") }
        let holidays: [Holiday] =
            keyed.isEmpty
            ? WorkingCalendar.shippedHolidays
            : keyed.compactMap { key, value in Holiday(date: String(key.dropFirst("holiday/".count)), setting: value) }
        return WorkingCalendar(zone: zone, hours: hours, holidays: holidays)
    }

    /// The court's calendar with where each part comes from, for `calendar show`.
    public func courtCalendar() throws -> CourtCalendar {
        let settings = try db.courtSettings()
        let calendar = Self.calendar(from: settings.mapValues(\.value), localZone: legacyZone)
        let sources = settings.filter { $0.key.hasPrefix("holiday-source/") && !$0.value.value.isEmpty }
        return CourtCalendar(
            calendar: calendar,
            replicated: settings.keys.contains("zone") || settings.keys.contains { $0.hasPrefix("holiday/") },
            sources: Dictionary(uniqueKeysWithValues: sources.map { (String($0.key.dropFirst("holiday-source/".count)), $0.value.value) }),
            changes: settings.values.filter { !$0.key.hasPrefix("schedule/") }.sorted { ($0.hlc, $0.key) < ($1.hlc, $1.key) }
                .map { CourtCalendar.Change(key: $0.key, value: $0.value, at: date(hlc: Int64($0.hlc)), by: $0.author, op: $0.op) })
    }

    /// Sets the court's time zone (court admin only).
    public func setCourtZone(_ zone: CourtZone, author: String = "") throws {
        try requireAdmin("sets the court's time zone")
        try commit(author: author, [.setting(CourtSetting(key: "zone", value: zone.rawValue))])
    }

    /// Sets the office hours of some weekdays (1 = Sunday … 7 = Saturday); no spans: closed.
    public func setWorkingHours(weekdays: [Int], spans: [WorkingCalendar.Span], author: String = "") throws {
        try requireAdmin("sets the court's office hours")
        guard !weekdays.isEmpty, weekdays.allSatisfy((1...7).contains) else {
            throw ReplicaError(.invalidInput, "weekdays are 1 (Sunday) to 7 (Saturday)", hint: "name the days, e.g. mon-thu or fri")
        }
        let sorted = spans.sorted { $0.start < $1.start }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.end > b.start {
            throw ReplicaError(.invalidInput, "office hours \(a) and \(b) overlap", hint: "give spans in order, e.g. 08:00-12:00,13:00-16:30")
        }
        guard sorted.allSatisfy({ $0.start < $0.end && $0.end <= 24 * 60 }) else {
            throw ReplicaError(.invalidInput, "an office-hours span must end after it starts, within the day", hint: "e.g. 08:00-12:00")
        }
        let value = sorted.isEmpty ? "off" : sorted.map(\.description).joined(separator: ",")
        try commit(author: author, Set(weekdays).sorted().map { .setting(CourtSetting(key: "hours/\($0)", value: value)) })
    }

    /// Closes the court on a date: a national holiday or cuti bersama (court admin only).
    public func addHoliday(date: String, kind: Holiday.Kind, name: String, author: String = "") throws {
        try requireAdmin("keeps the court's holidays")
        let day = try WorkingCalendar.checkDay(date)
        guard let name = try Validation.text(name, "holiday name", limit: 200) else { return }
        try seedHolidaysIfNeeded(author: author)
        try commit(author: author, [.setting(CourtSetting(key: "holiday/\(day)", value: "\(kind.rawValue)\t\(name)"))])
    }

    /// Opens the court again on a date that was closed (court admin only).
    public func removeHoliday(date: String, author: String = "") throws {
        try requireAdmin("keeps the court's holidays")
        let day = try WorkingCalendar.checkDay(date)
        guard workingCalendar.holidays[day] != nil else {
            throw ReplicaError(.notFound, "\(day) is not a holiday of the court", hint: "`sinkron calendar show --year \(day.prefix(4))` lists the closed days")
        }
        try seedHolidaysIfNeeded(author: author)
        try commit(author: author, [.setting(CourtSetting(key: "holiday/\(day)", value: ""))])
    }

    /// A court with no replicated closed days takes the shipped list first, so that adding or
    /// removing one day keeps the others.
    private func seedHolidaysIfNeeded(author: String) throws {
        guard try db.courtSettings(prefix: "holiday/").isEmpty else { return }
        try commit(author: author, Self.calendarDefaults(zone: nil))
    }

    /// The settings a new court starts with: zone (when given), office hours, the shipped closed
    /// days and their sources.
    static func calendarDefaults(zone: CourtZone?) -> [OperationBody] {
        var out: [CourtSetting] = []
        if let zone { out.append(CourtSetting(key: "zone", value: zone.rawValue)) }
        for day in 1...7 {
            let spans = WorkingCalendar.governmentHours[day] ?? []
            out.append(CourtSetting(key: "hours/\(day)", value: spans.isEmpty ? "off" : spans.map(\.description).joined(separator: ",")))
        }
        for h in WorkingCalendar.shippedHolidays { out.append(CourtSetting(key: "holiday/\(h.date)", value: "\(h.kind.rawValue)\t\(h.name)")) }
        for (year, source) in WorkingCalendar.holidaySources.sorted(by: { $0.key < $1.key }) {
            out.append(CourtSetting(key: "holiday-source/\(year)", value: source))
        }
        return out.map { .setting($0) }
    }

    /// How many operations a founding admin's replica writes to seed its court's data (after its
    /// genesis): the calendar's settings, then one adoption per shipped flow with a table.
    public static var courtSeedOperations: (calendar: Int, flows: Int) {
        (calendarDefaults(zone: .wib).count, SOP.catalog.filter { !$0.tableMissing }.count)
    }

    /// Seeds what a court's replicated data lacks: its calendar (the defaults) and, with
    /// `adoptFlows`, its SOP book (every shipped flow that has a table and is not in the book yet,
    /// as version 1). The founding admin's replica does it when it is made; an admin whose court
    /// was founded by an older release does it at its next invitation. Court admin only; returns
    /// the flows adopted.
    @discardableResult
    public func seedCourtData(zone: CourtZone? = nil, adoptFlows adopt: Bool = true, author: String = "") throws -> [FlowBookEntry] {
        guard isAdmin else { return [] }
        let settings = try db.courtSettings()
        var bodies: [OperationBody] = []
        if !settings.keys.contains(where: { $0.hasPrefix("holiday/") || $0.hasPrefix("hours/") }) {
            bodies += Self.calendarDefaults(zone: settings["zone"] == nil ? (zone ?? legacyZone ?? .wib) : nil)
        } else if let zone, settings["zone"] == nil {
            bodies.append(.setting(CourtSetting(key: "zone", value: zone.rawValue)))
        }
        try commit(author: author, bodies)
        return adopt ? try adoptFlows(SOP.catalog.filter { !$0.tableMissing }.map(\.code), author: author) : []
    }
}

/// The court's calendar as `calendar show` prints it.
public struct CourtCalendar: Sendable {
    public struct Change: Sendable, Codable, Equatable {
        public var key: String
        public var value: String
        public var at: Date
        public var by: String
        public var op: String
    }

    public var calendar: WorkingCalendar
    /// False while the court keeps no calendar of its own (built-in defaults, the node's local zone).
    public var replicated: Bool
    /// Where each year's closed days come from, by year.
    public var sources: [String: String]
    /// The current value of every calendar setting, oldest first.
    public var changes: [Change]
}

extension Holiday {
    /// A holiday from its setting value (`kind<TAB>name`); nil when cleared or malformed.
    init?(date: String, setting value: String) {
        let parts = value.split(separator: "\t", maxSplits: 1).map(String.init)
        guard parts.count == 2, let kind = Kind(rawValue: parts[0]), (try? WorkingCalendar.checkDay(date)) != nil else { return nil }
        self.init(date: date, kind: kind, name: parts[1])
    }
}

extension WorkingCalendar.Span: CustomStringConvertible {
    /// "08:00-12:00".
    public var description: String { String(format: "%02d:%02d-%02d:%02d", start / 60, start % 60, end / 60, end % 60) }
}

extension WorkingCalendar {
    /// Parses office hours: `08:00-12:00,13:00-16:30`, or `off` (closed: no spans).
    public static func parseSpans(_ text: String) throws -> [Span] {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "off" || t == "closed" || t == "libur" { return [] }
        return try t.split(separator: ",").map { part in
            let p = part.trimmingCharacters(in: .whitespaces)
            guard let (h1, m1, h2, m2) = spanParts(p), h1 < 24, m1 < 60, h2 <= 24, m2 < 60 else {
                throw ReplicaError(.invalidInput, "\"\(p)\" is not a span of office hours", hint: "write it as 08:00-12:00 (several: 08:00-12:00,13:00-16:30), or off")
            }
            return Span((h1, m1), (h2, m2))
        }
    }

    /// The numbers of `H:MM-H:MM` (hours of one or two digits, a space allowed either side of
    /// the dash), read by hand: a regex costs more to build than a desk command's own work.
    private static func spanParts(_ p: String) -> (Int, Int, Int, Int)? {
        var bytes = Array(p.utf8)[...]
        func number(_ digits: ClosedRange<Int>) -> Int? {
            let run = bytes.prefix { (0x30...0x39).contains($0) }
            guard digits.contains(run.count) else { return nil }
            bytes = bytes.dropFirst(run.count)
            return run.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        func skip(_ byte: UInt8, optional: Bool = false) -> Bool {
            if bytes.first == byte { bytes = bytes.dropFirst(); return true }
            return optional
        }
        guard let h1 = number(1...2), skip(0x3A), let m1 = number(2...2), skip(0x20, optional: true), skip(0x2D),
            skip(0x20, optional: true), let h2 = number(1...2), skip(0x3A), let m2 = number(2...2), bytes.isEmpty
        else { return nil }
        return (h1, m1, h2, m2)
    }

    /// Checks a `yyyy-MM-dd` day.
    static func checkDay(_ text: String) throws -> String {
        let t = text.trimmingCharacters(in: .whitespaces)
        if isGregorianDay(t) { return t }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(secondsFromGMT: 0)
        f.dateFormat = "yyyy-MM-dd"
        guard t.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil, let d = f.date(from: t), f.string(from: d) == t else {
            throw ReplicaError(.invalidInput, "\"\(text)\" is not a date", hint: "write it as 2026-03-20")
        }
        return t
    }

    /// Whether `t` is `yyyy-MM-dd` in ASCII digits naming a day of the Gregorian calendar from
    /// 1583 on: such a day is valid without a date formatter (whose creation costs a desk command
    /// more than its own work). Anything else goes to the formatter, which also knows the Julian
    /// days before the calendar reform.
    private static func isGregorianDay(_ t: String) -> Bool {
        let b = Array(t.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return false }
        var value = [0, 0, 0]
        for (i, range) in [0..<4, 5..<7, 8..<10].enumerated() {
            for byte in b[range] {
                guard (0x30...0x39).contains(byte) else { return false }
                value[i] = value[i] * 10 + Int(byte - 0x30)
            }
        }
        let (year, month, day) = (value[0], value[1], value[2])
        guard year >= 1583, (1...12).contains(month) else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }
}
