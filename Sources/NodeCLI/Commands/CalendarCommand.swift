import ArgumentParser
import Foundation
import Replica

/// The court's working calendar: zone, office hours and closed days, kept by the court admin as
/// replicated data (every node measures SOP time standards in the same calendar).
struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar", abstract: "The court's working time: show it; the court admin sets its zone, office hours and holidays.",
        subcommands: [Show.self, Zone.self, Hours.self, Holiday.self], defaultSubcommand: Show.self)

    static let dayNames = [1: "sun", 2: "mon", 3: "tue", 4: "wed", 5: "thu", 6: "fri", 7: "sat"]

    /// Weekdays from `mon-thu`, `fri`, `sat,sun`, `mon-fri`.
    static func weekdays(_ text: String) throws -> [Int] {
        let number = Dictionary(uniqueKeysWithValues: dayNames.map { ($0.value, $0.key) })
        var out: [Int] = []
        for part in text.lowercased().split(separator: ",") {
            let ends = part.split(separator: "-").map { number[String($0.prefix(3))] }
            guard (1...2).contains(ends.count), let first = ends.first ?? nil, let last = ends.last ?? nil, first <= last else {
                throw ValidationError("\"\(part)\" is not a day or range of days: use mon, tue, wed, thu, fri, sat, sun, or a range such as mon-thu")
            }
            out += Array(first...last)
        }
        return out
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the court's zone, office hours and closed days.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "List the closed days of this year (default: the current year).") var year: Int?

        func run() throws {
            try perform(global) { try CalendarCommand.show(try global.open(), year: year, global) }
        }
    }

    static func show(_ replica: Replica, year: Int?, _ global: GlobalOptions) throws {
        let court = try replica.courtCalendar()
        let calendar = court.calendar
        let year = year ?? Calendar(identifier: .gregorian).component(.year, from: Date())
        let days = calendar.holidays.values.filter { $0.date.hasPrefix("\(year)-") }.sorted { $0.date < $1.date }
        let hours = (1...7).map { (day: $0, spans: calendar.hours[$0] ?? []) }
        if global.json {
            struct Day: Encodable { var date: String; var kind: String; var name: String }
            struct View: Encodable {
                var zone: String; var utcOffset: Int; var hours: [String: [String]]; var year: Int; var source: String?; var closed: [Day]
                var courtData: Bool; var changes: [CourtCalendar.Change]
            }
            Output.json(
                View(
                    zone: calendar.zone.rawValue, utcOffset: calendar.zone.hoursFromUTC,
                    hours: Dictionary(uniqueKeysWithValues: hours.map { (dayNames[$0.day]!, $0.spans.map(\.description)) }), year: year,
                    source: court.sources["\(year)"], closed: days.map { Day(date: $0.date, kind: $0.kind.rawValue, name: $0.name) },
                    courtData: court.replicated, changes: court.changes))
            return
        }
        Output.line("zone      \(calendar.zone.rawValue) (UTC+\(calendar.zone.hoursFromUTC))")
        for (day, spans) in hours {
            Output.line("hours     \(dayNames[day]!)  \(spans.isEmpty ? "closed" : spans.map(\.description).joined(separator: ", "))")
        }
        if !court.replicated { Output.line("kept by   nobody yet: built-in defaults (the court admin's `sinkron calendar` commands make it court data)") }
        guard !days.isEmpty else {
            Output.line("no holidays of \(year) are known; only closed weekdays are closed")
            return
        }
        Output.line("source    \(court.sources["\(year)"] ?? "set by the court admin")")
        Output.table(["DATE", "KIND", "NAME"], days.map { [$0.date, $0.kind.rawValue, $0.name] })
    }

    struct Zone: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "zone", abstract: "Set the court's time zone: WIB, WITA or WIT (court admin only).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Argument(help: "WIB (UTC+7), WITA (UTC+8) or WIT (UTC+9).") var zone: String

        func run() throws {
            try perform(global) {
                guard let z = CourtZone(name: zone) else {
                    throw ReplicaError(.invalidInput, "\"\(zone)\" is not an Indonesian time zone", hint: "use WIB (UTC+7), WITA (UTC+8) or WIT (UTC+9)")
                }
                let replica = try global.open()
                try replica.setCourtZone(z, author: who.author)
                try CalendarCommand.show(replica, year: nil, global)
            }
        }
    }

    struct Hours: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hours", abstract: "Set the office hours of some weekdays (court admin only), e.g. `calendar hours mon-thu 08:00-12:00,13:00-16:30`.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Argument(help: "The days: mon, tue, wed, thu, fri, sat, sun, a range such as mon-thu, or several with commas.") var days: String
        @Argument(help: "The spans, e.g. 08:00-12:00,13:00-16:30; or off (closed).") var spans: String

        func run() throws {
            let weekdays = try CalendarCommand.weekdays(days)
            try perform(global) {
                let replica = try global.open()
                try replica.setWorkingHours(weekdays: weekdays, spans: try WorkingCalendar.parseSpans(spans), author: who.author)
                try CalendarCommand.show(replica, year: nil, global)
            }
        }
    }

    struct Holiday: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "holiday", abstract: "Add or remove a closed day: a national holiday or cuti bersama (court admin only).",
            subcommands: [Add.self, Remove.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Close the court on a date.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var who: AuthorOptions
            @Argument(help: "The date, e.g. 2026-03-20.") var date: String
            @Argument(help: "Its name, e.g. \"Hari Raya Idul Fitri\".") var name: String
            @Flag(help: "It is cuti bersama (collective leave), not a national holiday.") var cutiBersama = false

            func run() throws {
                try perform(global) {
                    let replica = try global.open()
                    try replica.addHoliday(date: date, kind: cutiBersama ? .cutiBersama : .libur, name: name, author: who.author)
                    try CalendarCommand.show(replica, year: Int(date.prefix(4)), global)
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "remove", abstract: "Open the court again on a closed date.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var who: AuthorOptions
            @Argument(help: "The date, e.g. 2026-03-20.") var date: String

            func run() throws {
                try perform(global) {
                    let replica = try global.open()
                    try replica.removeHoliday(date: date, author: who.author)
                    try CalendarCommand.show(replica, year: Int(date.prefix(4)), global)
                }
            }
        }
    }
}
