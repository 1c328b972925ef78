import Crypto
import Foundation

/// A schedule of routine work the court admin keeps: an SOP run every day, week, month or year
/// (backups, monthly reports, the yearly budget cycle), by a role. It is court data (setting
/// `schedule/ID`, JSON); each period's instance is a task whose id is derived from the schedule
/// and the period, so two nodes that both make it make one record.
public struct Schedule: Sendable, Codable, Equatable {
    public enum Every: String, Sendable, Codable, CaseIterable {
        case daily, weekly, monthly, yearly
    }

    /// The admin's name for it: lower-case letters, digits and dashes ("backup-harian").
    public var id: String
    public var sop: String
    public var every: Every
    /// The role that does the work; its desks make the instances.
    public var assignee: Role
    public var title: String?
    /// The first day an instance may be made for (`yyyy-MM-dd`, court time).
    public var from: String

    public init(id: String, sop: String, every: Every, assignee: Role, title: String? = nil, from: String) {
        self.id = id
        self.sop = sop
        self.every = every
        self.assignee = assignee
        self.title = title
        self.from = from
    }

    static let maxSchedules = 200

    /// The period holding `day` and its last day: `2026-12-01`, `2026-W49` (ISO week),
    /// `2026-12`, `2026`.
    func period(of date: Date, in zone: CourtZone) -> (key: String, first: String, last: String) {
        var c = Calendar(identifier: .iso8601)
        c.timeZone = zone.timeZone
        func day(_ d: Date) -> String {
            let x = c.dateComponents([.year, .month, .day], from: d)
            return String(format: "%04d-%02d-%02d", x.year!, x.month!, x.day!)
        }
        let unit: Calendar.Component = switch every {
        case .daily: .day
        case .weekly: .weekOfYear
        case .monthly: .month
        case .yearly: .year
        }
        let interval = c.dateInterval(of: unit, for: date)!
        let first = day(interval.start), last = day(interval.end.addingTimeInterval(-1))
        let key: String = switch every {
        case .daily: first
        case .weekly: String(format: "%04d-W%02d", c.component(.yearForWeekOfYear, from: date), c.component(.weekOfYear, from: date))
        case .monthly: String(first.prefix(7))
        case .yearly: String(first.prefix(4))
        }
        return (key, first, last)
    }

    /// The id of this schedule's instance for a period: SHA-256 of the schedule id and period.
    public func instanceID(period: String) -> RecordID {
        let digest = SHA256.hash(data: Array("sinkron schedule\0\(id)\0\(period)".utf8))
        return RecordID(bytes: Array(digest).prefix(16))!
    }
}

/// A schedule as `schedule list` shows it.
public struct ScheduleEntry: Sendable, Codable, Equatable {
    public var schedule: Schedule
    public var at: Date
    public var by: String
    public var op: String
    /// The current period's instance, if it exists here.
    public var current: String?
}

extension Replica {
    /// The court's schedules, by id (those the admin removed are gone).
    public func schedules() throws -> [ScheduleEntry] {
        let now = courtDate
        let zone = courtZone
        return try db.courtSettings(prefix: "schedule/").values.sorted { $0.key < $1.key }.compactMap { s in
            guard let schedule = try? JSONDecoder().decode(Schedule.self, from: Data(s.value.utf8)) else { return nil }
            let id = schedule.instanceID(period: schedule.period(of: now, in: zone).key).hex
            let exists = try db.cached("SELECT 1 FROM records WHERE id = ? AND kind IS NOT NULL").bind(.text(id)).first { _ in true } ?? false
            return ScheduleEntry(schedule: schedule, at: date(hlc: Int64(s.hlc)), by: s.author, op: s.op, current: exists ? id : nil)
        }
    }

    /// Adds or replaces a schedule (court admin only).
    @discardableResult
    public func addSchedule(_ schedule: Schedule, author: String = "") throws -> ScheduleEntry {
        try requireAdmin("schedules routine work")
        var s = schedule
        s.id = s.id.lowercased()
        guard s.id.range(of: #"^[a-z0-9][a-z0-9-]{0,47}$"#, options: .regularExpression) != nil else {
            throw ReplicaError(.invalidInput, "\"\(schedule.id)\" is not a schedule name", hint: "use lower-case letters, digits and dashes, e.g. backup-harian")
        }
        s.sop = s.sop.uppercased()
        guard let kind = try currentFlow(s.sop)?.sop.kind ?? SOP.named(s.sop)?.kind else {
            throw ReplicaError(.notFound, "no SOP has the code \(s.sop)", hint: "`sinkron sop list` shows the codes")
        }
        guard kind == .task else {
            throw ReplicaError(.invalidInput, "\(s.sop) is the flow of \(kind.rawValue) records, not routine work", hint: "schedule a routine SOP such as BACKUP, SINKRON or MONITOR")
        }
        s.title = try Validation.text(s.title, "title", required: false)
        s.from = try WorkingCalendar.checkDay(s.from)
        let existing = try db.courtSettings(prefix: "schedule/").values.filter { !$0.value.isEmpty }
        guard existing.count < Schedule.maxSchedules || existing.contains(where: { $0.key == "schedule/\(s.id)" }) else {
            throw ReplicaError(.invalidInput, "the court has \(Schedule.maxSchedules) schedules already", hint: "remove one first")
        }
        _ = try sop(s.sop, author: author)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try commit(author: author, [.setting(CourtSetting(key: "schedule/\(s.id)", value: String(decoding: try encoder.encode(s), as: UTF8.self)))])
        return try schedules().first { $0.schedule.id == s.id }!
    }

    /// Removes a schedule (court admin only); instances already made stay.
    public func removeSchedule(_ id: String, author: String = "") throws {
        try requireAdmin("removes schedules")
        let id = id.lowercased()
        guard try schedules().contains(where: { $0.schedule.id == id }) else {
            throw ReplicaError(.notFound, "no schedule is named \(id)", hint: "`sinkron schedule list` shows them")
        }
        try commit(author: author, [.setting(CourtSetting(key: "schedule/\(id)", value: ""))])
    }

    /// Makes the instances of the current period that are due and missing: for the schedules of
    /// this node's role (the admin's node makes them all). Each instance is a task with an id
    /// derived from its schedule and period and fields derived from them only, so a second node
    /// making it writes the same record (the earlier create counts, nothing conflicts).
    @discardableResult
    public func runSchedules(now: Date? = nil, author: String = "") throws -> [RecordID] {
        let now = now ?? courtDate
        let calendar = workingCalendar
        var bodies: [OperationBody] = []
        var made: [RecordID] = []
        for entry in try schedules() where isAdmin || entry.schedule.assignee == enrolledRole {
            let s = entry.schedule
            let period = s.period(of: now, in: calendar.zone)
            guard period.last >= s.from else { continue }
            let id = s.instanceID(period: period.key)
            if try db.cached("SELECT 1 FROM records WHERE id = ? AND kind IS NOT NULL").bind(.text(id.hex)).first({ _ in true }) ?? false { continue }
            guard let flow = try? sop(s.sop), flow.sop.kind == .task else { continue }
            let fields = [
                FieldValue(.title, "\(s.title ?? flow.sop.title) (\(period.key))"), FieldValue(.assignee, s.assignee.rawValue),
                FieldValue(.due, period.last), FieldValue(.notes, "schedule \(s.id), period \(period.key)"),
            ]
            bodies.append(.create(record: id, kind: .task, sop: flow.pin, fields: fields))
            made.append(id)
        }
        try commit(author: author, bodies)
        return made
    }
}
