import Foundation

extension WorkingCalendar {
    /// The latest start, in milliseconds since 1970, from which work under `standard` is late at
    /// `now` (`now > due(from: start, standard)`): work started at or before it is late, work
    /// started after it is not. Found by searching `due(from:_:)` itself (a later start is never
    /// due earlier), so lists that filter whole tables by start time apply the very rule a
    /// record's own due time comes from. Nil when nothing can be late (no deadline, or none
    /// within the calendar's horizon).
    public func lateCutoff(_ standard: TimeStandard, at now: Date) -> Int64? {
        guard standard.limit != nil else { return nil }
        let nowMs = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        func late(_ ms: Int64) -> Bool { due(from: date(ms: ms), standard).map { now > $0 } ?? false }
        // Gallop back from now (never late: a due time is not before its start) to a late start,
        // then halve the bracket down to the millisecond.
        var notLate = nowMs
        var gap: Int64 = 60_000
        let maxGap = 4 * Int64(Self.horizonDays) * 86_400_000
        while !late(nowMs - gap) {
            notLate = nowMs - gap
            gap *= 2
            if gap > maxGap { return nil }
        }
        var isLate = nowMs - gap
        while notLate - isLate > 1 {
            let mid = isLate + (notLate - isLate) / 2
            if late(mid) { isLate = mid } else { notLate = mid }
        }
        return isLate
    }
}

extension Replica {
    /// For each record kind, an SQL condition over a row of its table that holds when an open
    /// record is past its time standard at `now` (the caller keeps to open rows): the rule
    /// `summary` applies to one record (`overdue`, as `sinkron list --overdue` shows it), stated
    /// for a whole table. The standard is the pinned flow's (the shipped template or the court's
    /// revision), the procedure's time from the record's creation or else the current step's from
    /// when it became current, measured in the working calendar through
    /// `WorkingCalendar.lateCutoff`; a task is late past its due time too. A kind missing from the
    /// result has no record that can be late now.
    func lateConditions(now: Date, calendar: WorkingCalendar) throws -> [RecordKind: (sql: String, values: [SQLValue])] {
        // Flows share a handful of standards: each cutoff is searched once.
        var cutoffs: [TimeStandard.Amount: Int64?] = [:]
        func cutoff(_ standard: TimeStandard) -> Int64? {
            guard let limit = standard.limit else { return nil }
            if let known = cutoffs[limit] { return known }
            let found = calendar.lateCutoff(standard, at: now)
            cutoffs[limit] = found
            return found
        }
        var terms: [RecordKind: (any: [String], values: [SQLValue])] = [:]
        // Every pin a record can name: a shipped template's code, or CODE@N for a revision in the
        // court's book (a pin whose revision is unknown reads the template).
        var revisions: [String: [String]] = [:]
        try db.prepare("SELECT DISTINCT code, version FROM sop_flows").forEach { revisions[$0.text(0), default: []].append("\($0.text(0))@\($0.int(1))") }
        let codes = Set(SOP.catalog.map(\.code)).union(revisions.keys)
        for code in codes.sorted() {
            for pin in [code] + (revisions[code] ?? []).sorted() {
                guard let sop = db.flow(pin) else { continue }
                var late: [String] = []
                if let time = sop.time {
                    if let c = cutoff(time) { late.append("created_at <= \(c)") }
                } else {
                    var steps: [Int64: [Int]] = [:]
                    for step in sop.steps { if let c = cutoff(step.time) { steps[c, default: []].append(step.number) } }
                    for (c, numbers) in steps.sorted(by: { $0.key < $1.key }) {
                        late.append("(step IN (\(numbers.map(String.init).joined(separator: ","))) AND step_since <= \(c))")
                    }
                }
                guard !late.isEmpty else { continue }
                var values: [SQLValue]
                let match: String
                if pin != code {
                    match = "sop = ?"
                    values = [.text(pin)]
                } else {
                    let known = revisions[code] ?? []
                    match = "(sop = ? OR (sop GLOB ?" + (known.isEmpty ? "" : " AND sop NOT IN (\(known.map { _ in "?" }.joined(separator: ",")))") + "))"
                    values = [.text(code), .text(code + "@*")] + known.map { .text($0) }
                }
                terms[sop.kind, default: ([], [])].any.append("(\(match) AND (\(late.joined(separator: " OR "))))")
                terms[sop.kind]!.values += values
            }
        }
        // `Validation.parseDue` in SQL: YYYY-MM-DD is due at the end of that day, YYYY-MM-DDTHH:MM
        // (or with a space) at that minute, both in local time; late once now is past it.
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone.current
        f.dateFormat = "yyyy-MM-dd HH:mm"
        let minute = f.string(from: now.addingTimeInterval(-0.001))
        f.dateFormat = "yyyy-MM-dd"
        let day = f.string(from: now.addingTimeInterval(-(24 * 3600 - 1) - 0.001))
        terms[.task, default: ([], [])].any.append("(length(due) = 10 AND due <= ?) OR (length(due) = 16 AND replace(due, 'T', ' ') <= ?)")
        terms[.task]!.values += [.text(day), .text(minute)]
        return terms.mapValues { ("(" + $0.any.joined(separator: " OR ") + ")", $0.values) }
    }
}
