import Foundation

/// Open and late records of one SOP, or of one desk role.
public struct OpenCount: Sendable, Codable, Equatable {
    public var key: String
    public var open: Int
    public var late: Int
}

/// Records opened and closed in one week (weeks start on Monday, court time).
public struct WeekCount: Sendable, Codable, Equatable {
    public var weekStart: Date
    public var opened: Int
    public var closed: Int
}

/// Time spent on one step of one SOP, against its time standard.
public struct StepTime: Sendable, Codable, Equatable {
    public var sop: String
    public var step: Int
    public var activity: String
    public var standardMinutes: Int
    public var averageMinutes: Double
    public var count: Int
}

/// Kasubbag's overview: what is open and late, how the weeks went, where time goes.
public struct Overview: Sendable, Codable, Equatable {
    public var perSOP: [OpenCount]
    /// Per role that acts next (the desk the record waits at).
    public var perDesk: [OpenCount]
    public var weeks: [WeekCount]
    public var stepTimes: [StepTime]
}

extension Replica {
    /// Figures for the overview, all by SQL aggregates (a 100,000-record replica is read once per table).
    public func overview(weeks: Int = 8, now: Date? = nil) throws -> Overview {
        let now = now ?? courtDate
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        var perSOP: [String: OpenCount] = [:]
        var perDesk: [String: OpenCount] = [:]
        let week: Int64 = 7 * 24 * 3_600_000
        // Weeks start on Monday 00:00 in the court's zone; 1970-01-01 was a Thursday.
        let offset = Int64(TimeZone.current.secondsFromGMT(for: now)) * 1000 + 3 * 24 * 3_600_000
        let thisWeek = (nowMs + offset) / week
        var opened: [Int64: Int] = [:]
        var closed: [Int64: Int] = [:]
        for kind in RecordKind.allCases {
            let limits = SOP.catalog.filter { $0.kind == kind }.flatMap { sop in
                sop.steps.map { "('\(sop.code)', \($0.number), \(nowMs - Int64($0.minutes) * 60_000))" }
            }
            guard !limits.isEmpty else { continue }
            let sql = """
                WITH std(sop, step, lim) AS (VALUES \(limits.joined(separator: ", ")))
                SELECT t.sop, t.step, count(*), sum(t.step_since < std.lim) FROM \(kind.table) t
                LEFT JOIN std ON std.sop = substr(t.sop, 1, instr(t.sop || '@', '@') - 1) AND std.step = t.step WHERE +t.status = 'open' GROUP BY t.sop, t.step
                """
            try db.prepare(sql).forEach { row in
                let pin = row.text(0)
                let code = FlowPin(pin).code
                let open = Int(row.int(2))
                let late = Int(row.optionalInt(3) ?? 0)
                perSOP[code, default: OpenCount(key: code, open: 0, late: 0)].open += open
                perSOP[code]!.late += late
                let roles = row.optionalInt(1).flatMap { flow(pin)?.step(Int($0))?.actors } ?? []
                for role in roles {
                    perDesk[role.rawValue, default: OpenCount(key: role.rawValue, open: 0, late: 0)].open += open
                    perDesk[role.rawValue]!.late += late
                }
            }
            let since = (thisWeek - Int64(weeks - 1)) * week - offset
            try db.prepare("SELECT (created_at + ?1) / ?2, count(*) FROM \(kind.table) WHERE created_at >= ?3 GROUP BY 1")
                .bind(.int(offset), .int(week), .int(since)).forEach { opened[$0.int(0), default: 0] += Int($0.int(1)) }
            try db.prepare("SELECT (updated_at + ?1) / ?2, count(*) FROM \(kind.table) WHERE status = 'done' AND updated_at >= ?3 GROUP BY 1")
                .bind(.int(offset), .int(week), .int(since)).forEach { closed[$0.int(0), default: 0] += Int($0.int(1)) }
        }
        let weekCounts = (0..<Int64(weeks)).map { i -> WeekCount in
            let w = thisWeek - Int64(weeks - 1) + i
            return WeekCount(weekStart: date(ms: w * week - offset), opened: opened[w] ?? 0, closed: closed[w] ?? 0)
        }
        return Overview(
            perSOP: SOP.catalog.compactMap { perSOP[$0.code] }, perDesk: Role.allCases.compactMap { perDesk[$0.rawValue] },
            weeks: weekCounts, stepTimes: try stepTimes())
    }

    /// Average time from the previous counted step (or the record's creation) to each counted step.
    func stepTimes() throws -> [StepTime] {
        var sums: [String: (sop: String, step: Int, total: Double, count: Int)] = [:]
        for kind in RecordKind.allCases {
            let sql = """
                SELECT t.sop, s.step, (s.hlc >> 16) - coalesce(lag(s.hlc >> 16) OVER (PARTITION BY s.record ORDER BY s.hlc, s.origin, s.seq), t.created_at)
                FROM steps s JOIN \(kind.table) t ON t.id = s.record WHERE s.status = 'ok'
                """
            try db.prepare(sql).forEach { row in
                let key = "\(row.text(0)) \(row.int(1))"
                var entry = sums[key] ?? (row.text(0), Int(row.int(1)), 0, 0)
                entry.total += Double(max(0, row.int(2))) / 60_000
                entry.count += 1
                sums[key] = entry
            }
        }
        return sums.values.compactMap { e -> StepTime? in
            guard let step = flow(e.sop)?.step(e.step) else { return nil }
            return StepTime(sop: e.sop, step: e.step, activity: step.activity, standardMinutes: step.minutes, averageMinutes: e.total / Double(e.count), count: e.count)
        }.sorted { ($0.sop, $0.step) < ($1.sop, $1.step) }
    }
}
