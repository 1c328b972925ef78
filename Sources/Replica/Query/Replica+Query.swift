import Crypto
import Foundation

func date(ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }
func date(hlc: Int64) -> Date { HLC(raw: UInt64(hlc)).date }

extension Replica {
    // MARK: Records

    /// Finds the record whose id starts with `prefix` (at least 4 hex digits).
    public func resolve(_ prefix: String) throws -> (id: RecordID, kind: RecordKind) {
        let p = prefix.lowercased().trimmingCharacters(in: .whitespaces)
        guard p.count >= 4, p.count <= 32, p.allSatisfy(\.isHexDigit) else {
            throw ReplicaError(.invalidInput, "\"\(prefix)\" is not a record id", hint: "type at least 4 hex digits of an id shown by `sinkron list`")
        }
        let matches = try db.cached("SELECT id, kind FROM records WHERE id >= ? AND id < ? AND kind IS NOT NULL ORDER BY id LIMIT 6")
            .bind(.text(p), .text(p + "g"))
            .map { (id: $0.text(0), kind: $0.text(1)) }
        guard let first = matches.first, let id = ID128(hex: first.id), let kind = RecordKind(rawValue: first.kind) else {
            throw ReplicaError(.notFound, "no record has an id starting with \(p)", hint: "`sinkron list` shows the ids this replica holds")
        }
        guard matches.count == 1 else {
            throw ReplicaError(
                .ambiguous, "\(p) matches several records: \(matches.map { String($0.id.prefix(12)) }.joined(separator: ", "))",
                hint: "type more digits of the id")
        }
        return (id, kind)
    }

    static func summaryColumns(_ kind: RecordKind) -> String {
        "id, sop, status, step, step_since, created_at, created_by, author, updated_at, "
            + kind.fields.map(\.name).joined(separator: ", ")
    }

    func summary(_ row: Row, kind: RecordKind, now: Date, calendar given: WorkingCalendar? = nil) -> (RecordSummary, [String: String?]) {
        let calendar = given ?? workingCalendar
        var fields: [String: String?] = [:]
        for (i, f) in kind.fields.enumerated() { fields[f.name] = row.optionalText(Int32(9 + i)) }
        let sop = db.flow(row.text(1))
        let stepNumber = row.optionalInt(3).map { Int($0) }
        let step = stepNumber.flatMap { sop?.step($0) }
        let since = row.optionalInt(4).map { date(ms: $0) }
        let createdAt = date(ms: row.int(5))
        var overdueMinutes: Int?
        let status = row.text(2)
        // A time given for the whole procedure runs from the record's creation; otherwise the
        // current step's runs from when it became current.
        // A record waiting at its letter's first step while the letter runs: the letter has the
        // time standards and the next roles.
        let waitsForLetter =
            status == "open" && stepNumber != nil && stepNumber == sop?.letter?.from
            && (RecordID(hex: row.text(0)).map { (try? db.cached("SELECT 1 FROM letters WHERE id = ?").bind(.text(Self.letterID(for: $0).hex)).first { _ in true }) != nil } ?? false)
        let standard: (time: TimeStandard, for: String, from: Date?)? =
            waitsForLetter ? nil : sop?.time.map { ($0, "record", createdAt) } ?? step.map { ($0.time, "step", since) }
        var due: Date?
        if status == "open", let standard, let from = standard.from {
            due = calendar.due(from: from, standard.time)
            if let due, now > due { overdueMinutes = max(1, Int(now.timeIntervalSince(due) / 60)) }
        }
        if status == "open", kind == .task, let taskDue = fields["due"].flatMap({ $0 }).flatMap({ Validation.parseDue($0, in: calendar.zone.timeZone) }) {
            let late = Int(now.timeIntervalSince(taskDue) / 60)
            if late > 0 { overdueMinutes = max(overdueMinutes ?? 0, late) }
        }
        let title: String = {
            switch kind {
            case .bug, .task: fields["title"].flatMap { $0 } ?? ""
            case .deletion: fields["case_number"].flatMap { $0 } ?? ""
            case .letter: fields["subject"].flatMap { $0 } ?? ""
            }
        }()
        let summary = RecordSummary(
            id: row.text(0), kind: kind.rawValue, sop: row.text(1), title: title, status: status, step: stepNumber,
            stepActivity: step?.activity, stepGloss: step?.gloss, nextRoles: status == "open" && !waitsForLetter ? waiting(row.text(0), sop: sop, step: step).map(\.rawValue) : [],
            stepSince: since, stepMinutes: step?.time.limit?.minutes, timeStandard: status == "open" ? standard?.time.text : nil,
            timeFor: status == "open" ? standard?.for : nil, due: due, overdue: overdueMinutes != nil, overdueMinutes: overdueMinutes,
            createdAt: createdAt, createdBy: row.text(6), author: row.text(7), updatedAt: date(ms: row.int(8)))
        return (summary, fields)
    }

    /// The roles that act next on a record at `step`: any of its roles, or for a step needing
    /// several, those that have not yet done their part (refolded from the record's events).
    func waiting(_ hex: String, sop: SOP?, step: SOPStep?) -> [Role] {
        guard let sop, let step else { return [] }
        guard step.mode != .any, let events = try? db.stepEvents(record: hex).events else { return step.actors }
        return WorkflowFold.fold(sop: sop, created: HLC(raw: 0), events: events).waiting(in: sop)
    }

    /// Records, newest first. `openOnly` keeps records whose flow is running; `overdueOnly` those
    /// past the SOP time standard of their current step (or a task past its due time).
    public func list(kind: RecordKind? = nil, openOnly: Bool = false, overdueOnly: Bool = false, now: Date? = nil) throws -> [RecordSummary] {
        let now = now ?? courtDate
        var out: [RecordSummary] = []
        let calendar = workingCalendar
        for k in kind.map({ [$0] }) ?? RecordKind.allCases {
            let filter = openOnly || overdueOnly ? "WHERE status = 'open'" : ""
            try db.prepare("SELECT \(Self.summaryColumns(k)) FROM \(k.table) \(filter)").forEach { row in
                let (s, _) = summary(row, kind: k, now: now, calendar: calendar)
                if !overdueOnly || s.overdue { out.append(s) }
            }
        }
        return out.sorted { ($0.updatedAt, $0.id) > ($1.updatedAt, $1.id) }
    }

    /// One record with its fields, steps, comments and linked letters.
    public func show(_ prefix: String, now: Date? = nil) throws -> RecordDetail {
        let now = now ?? courtDate
        let (id, kind) = try resolve(prefix)
        let hex = id.hex
        guard
            let (summary, fields) = try db.prepare("SELECT \(Self.summaryColumns(kind)) FROM \(kind.table) WHERE id = ?").bind(.text(hex))
                .first({ self.summary($0, kind: kind, now: now) })
        else { throw ReplicaError(.notFound, "record \(hex) has no \(kind.table) row", hint: "run `sinkron verify`") }
        let sop = db.flow(summary.sop)
        let steps = try db.prepare("SELECT origin, seq, hlc, step, branch, note, node, role, author, status FROM steps WHERE record = ? ORDER BY hlc, origin, seq")
            .bind(.text(hex)).map { r in
                StepEntry(
                    op: "\(r.text(0)):\(r.int(1))", at: date(hlc: r.int(2)), step: Int(r.int(3)), activity: sop?.step(Int(r.int(3)))?.activity,
                    branch: r.optionalText(4), note: r.text(5), node: r.text(6), role: r.text(7), author: r.text(8), status: r.text(9))
            }
        let comments = try db.prepare("SELECT origin, seq, hlc, node, author, text FROM comments WHERE record = ? ORDER BY hlc, origin, seq")
            .bind(.text(hex)).map { r in
                CommentEntry(op: "\(r.text(0)):\(r.int(1))", at: date(hlc: r.int(2)), node: r.text(3), author: r.text(4), text: r.text(5))
            }
        let letters = try db.prepare("SELECT id FROM letters WHERE for_record = ? ORDER BY created_at, id").bind(.text(hex)).map { $0.text(0) }
        let conflicts = try db.prepare("SELECT count(*) FROM conflicts WHERE record = ?").bind(.text(hex)).first { Int($0.int(0)) } ?? 0
        return RecordDetail(
            summary: summary, fields: fields, steps: steps, comments: comments, letters: letters, conflicts: conflicts,
            linked: try linkedProgress(id: id, kind: kind, sop: sop, fields: fields, now: now))
    }

    /// The letter of a bug report or deletion request, or the record a letter is for.
    func linkedProgress(id: RecordID, kind: RecordKind, sop: SOP?, fields: [String: String?], now: Date) throws -> LinkedProgress? {
        func summary(_ other: String, _ k: RecordKind) throws -> RecordSummary? {
            try db.prepare("SELECT \(Self.summaryColumns(k)) FROM \(k.table) WHERE id = ?").bind(.text(other)).first { self.summary($0, kind: k, now: now).0 }
        }
        func progress(_ relation: String, _ s: RecordSummary, _ span: SOPLetter?) -> LinkedProgress {
            LinkedProgress(
                relation: relation, id: s.id, kind: s.kind, sop: s.sop, status: s.status, step: s.step, activity: s.stepActivity, nextRoles: s.nextRoles,
                covers: span.map { "\($0.from)-\($0.to)" } ?? "")
        }
        if kind == .bug || kind == .deletion, let span = sop?.letter {
            return try summary(Self.letterID(for: id).hex, .letter).map { progress("letter", $0, span) }
        }
        guard kind == .letter, let parentHex = fields["for_record"] ?? nil, let parentID = RecordID(hex: parentHex),
            Self.letterID(for: parentID) == id, let parentKind = try resolveKind(parentHex), parentKind != .letter,
            let parent = try summary(parentHex, parentKind)
        else { return nil }
        return progress("parent", parent, db.flow(parent.sop)?.letter)
    }

    private func resolveKind(_ hex: String) throws -> RecordKind? {
        try db.cached("SELECT kind FROM records WHERE id = ?").bind(.text(hex)).first { $0.optionalText(0).flatMap(RecordKind.init(rawValue:)) } ?? nil
    }

    // MARK: History

    /// Every operation on the record, in clock order.
    public func history(_ prefix: String) throws -> [HistoryEntry] {
        let (id, kind) = try resolve(prefix)
        guard let rid = try db.cached("SELECT rid FROM records WHERE id = ?").bind(.text(id.hex)).first({ $0.int(0) }) else { return [] }
        let sop = try db.prepare("SELECT sop FROM \(kind.table) WHERE id = ?").bind(.text(id.hex)).first { self.db.flow($0.text(0)) } ?? nil
        let sessions = Dictionary(
            uniqueKeysWithValues: try db.prepare("SELECT id, kind, peer, address FROM sessions").map { r in
                (r.int(0), "\(r.text(1)) #\(r.int(0))" + (r.optionalText(2).map { " from \($0)" } ?? "") + (r.optionalText(3).map { " (\($0))" } ?? ""))
            })
        // Field-write outcomes and the concurrent writes each met.
        var outcome: [OpID: String] = [:]
        var against: [OpID: [String]] = [:]
        let writeSets = try storedWriteSets(rid: rid).map { try self.writeSets($0) } ?? []
        for (field, writes) in writeSets where kind.fields.contains(field) {
            let winner = writes.winner
            for w in writes {
                outcome[w.op] = !w.valid ? "refused" : w.op == winner?.op ? "won" : w.head ? "lost" : "replaced"
            }
        }
        try db.prepare("SELECT winner, loser FROM conflicts WHERE record = ?").bind(.text(id.hex)).forEach { r in
            let w = r.text(0)
            let l = r.text(1)
            if let wo = Self.parseOp(w) { against[wo, default: []].append(l) }
            if let lo = Self.parseOp(l) { against[lo, default: []].append(w) }
        }
        var stepStatus: [OpID: String] = [:]
        try db.prepare("SELECT origin, seq, status FROM steps WHERE record = ?").bind(.text(id.hex)).forEach { r in
            if let o = ID128(hex: r.text(0)) { stepStatus[OpID(origin: o, seq: UInt64(r.int(1)))] = r.text(2) }
        }
        // The record's operations: its create, field writes, steps, comments and archives.
        var keys: [(Int64, Int64)] = []
        try db.prepare(
            """
            SELECT create_origin, create_seq FROM records WHERE rid = ?1 AND create_origin IS NOT NULL
            UNION SELECT origin_idx, seq FROM archives WHERE rid = ?1
            UNION SELECT o.idx, s.seq FROM steps s JOIN origins o ON lower(hex(o.origin)) = s.origin WHERE s.record = ?2
            UNION SELECT o.idx, c.seq FROM comments c JOIN origins o ON lower(hex(o.origin)) = c.origin WHERE c.record = ?2
            """
        ).bind(.int(rid), .text(id.hex)).forEach { keys.append(($0.int(0), $0.int(1))) }
        // Field writes, from the record's write sets (a create that set fields is already listed).
        var listed = Set(keys.map { "\($0.0):\($0.1)" })
        for (_, writes) in writeSets {
            for w in writes where listed.insert("\(w.originIdx):\(w.op.seq)").inserted { keys.append((w.originIdx, Int64(w.op.seq))) }
        }
        var entries: [HistoryEntry] = []
        var log = LogReader(db)
        for (idx, seq) in keys.sorted(by: <) {
            guard let origin = originsByIdx[idx], let info = origins[origin] else { continue }
            if let stored = try log.entry(origin: idx, seq: UInt64(seq)) {
                let op = try Operation.decode(origin: origin, seq: UInt64(seq), hlc: HLC(raw: stored.hlc), payload: stored.body)
                let session = stored.session
                var entry = HistoryEntry(
                    op: "\(origin.hex):\(seq)", at: op.hlc.date, hlc: op.hlc.raw, node: info.name, role: info.role.rawValue,
                    author: op.author.isEmpty ? info.name : op.author, kind: op.body.kindName, summary: "", field: nil, value: nil, outcome: nil,
                    against: against[op.id] ?? [], stepStatus: nil, via: session.flatMap { sessions[$0] } ?? "local", session: session,
                    clockAhead: stored.flags & OperationFlags.clockAhead != 0)
                switch op.body {
                case .create(_, let k, let code, let fields):
                    entry.summary = "created \(k.rawValue) (\(code))" + (fields.isEmpty ? "" : ": " + fields.map { "\($0.field.name)=\($0.value)" }.joined(separator: ", "))
                case .set(_, let field, let value, _):
                    entry.field = field.name
                    entry.value = value
                    entry.outcome = outcome[op.id]
                    entry.summary = "set \(field.name) = \(value)"
                case .step(_, let number, let branch, let note):
                    let activity = sop?.step(number)?.activity ?? ""
                    entry.stepStatus = stepStatus[op.id]
                    entry.summary = "step \(number) \(activity)" + (branch.map { " → \($0.rawValue)" } ?? "") + (note.isEmpty ? "" : " — \(note)")
                case .comment(_, let text):
                    entry.summary = "comment: \(text)"
                case .archive:
                    entry.summary = "archived"
                case .genesis, .enroll, .revoke, .flow, .setting:
                    entry.summary = op.body.kindName
                }
                entries.append(entry)
            }
        }
        return entries.sorted { ($0.hlc, $0.op) < ($1.hlc, $1.op) }
    }

    static func parseOp(_ text: String) -> OpID? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let origin = ID128(hex: String(parts[0])), let seq = UInt64(parts[1]) else { return nil }
        return OpID(origin: origin, seq: seq)
    }

    // MARK: Conflicts, sessions, alerts

    public func conflicts() throws -> [ConflictEntry] {
        try db.prepare("SELECT record, field, winner, loser, winner_value, loser_value, winner_hlc, loser_hlc FROM conflicts ORDER BY loser_hlc, record, field")
            .map { r in
                let w = Self.parseOp(r.text(2))
                let l = Self.parseOp(r.text(3))
                return ConflictEntry(
                    record: r.text(0), field: r.text(1), winner: r.text(2), loser: r.text(3), winnerValue: r.text(4), loserValue: r.text(5),
                    winnerNode: w.map { nodeName($0.origin) } ?? "?", loserNode: l.map { nodeName($0.origin) } ?? "?",
                    winnerAt: date(hlc: r.int(6)), loserAt: date(hlc: r.int(7)))
            }
    }

    /// Letter numbers given to more than one letter.
    public func numberCollisions() throws -> [NumberCollision] {
        try db.prepare("SELECT number, group_concat(id, ',') FROM (SELECT number, id FROM letters WHERE number IS NOT NULL ORDER BY id) GROUP BY number HAVING count(*) > 1 ORDER BY number")
            .map { NumberCollision(number: $0.text(0), letters: $0.text(1).split(separator: ",").map(String.init)) }
    }

    public func sessions(limit: Int = 100) throws -> [SessionEntry] { try sessions(id: nil, limit: limit) }

    /// One merge session, or nil.
    public func session(_ id: Int64) throws -> SessionEntry? { try sessions(id: id, limit: 1).first }

    func sessions(id: Int64?, limit: Int) throws -> [SessionEntry] {
        try db.prepare(
            """
            SELECT id, kind, peer, address, started_at, ended_at, received, sent, conflicts, bytes_in, bytes_out, outcome, detail,
            CASE WHEN json_valid(detail) THEN coalesce(json_extract(detail, '$.receivedByOrigin'), json_extract(detail, '$.applied')) END,
            CASE WHEN json_valid(detail) THEN json_extract(detail, '$.sentByOrigin') END
            FROM sessions WHERE ?1 IS NULL OR id = ?1 ORDER BY id DESC LIMIT ?2
            """
        ).bind(id.map { .int($0) } ?? .null, .int(Int64(limit))).map { r in
            SessionEntry(
                id: r.int(0), kind: r.text(1), peer: r.optionalText(2), address: r.optionalText(3), startedAt: date(ms: r.int(4)),
                endedAt: r.optionalInt(5).map { date(ms: $0) }, received: Int(r.int(6)), sent: Int(r.int(7)), conflicts: Int(r.int(8)),
                bytesIn: Int(r.int(9)), bytesOut: Int(r.int(10)), outcome: r.optionalText(11), detail: r.optionalText(12),
                traffic: traffic(received: r.optionalText(13), sent: r.optionalText(14)))
        }
    }

    /// Per-origin counts from a session's detail: JSON objects of origin (hex) → operations.
    func traffic(received: String?, sent: String?) -> [OriginTraffic] {
        func counts(_ json: String?) -> [String: Int] {
            guard let json, let data = json.data(using: .utf8) else { return [:] }
            return (try? JSONDecoder().decode([String: Int].self, from: data)) ?? [:]
        }
        let (inbound, outbound) = (counts(received), counts(sent))
        return Set(inbound.keys).union(outbound.keys).map { hex in
            OriginTraffic(
                node: ID128(hex: hex).map { nodeName($0) } ?? String(hex.prefix(8)), origin: hex, received: inbound[hex] ?? 0, sent: outbound[hex] ?? 0)
        }.sorted { ($0.received + $0.sent, $1.node) > ($1.received + $1.sent, $0.node) }
    }

    public func alerts() throws -> [AlertEntry] {
        try db.prepare("SELECT id, at, kind, origin, seq, detail FROM alerts ORDER BY id").map { r in
            AlertEntry(id: r.int(0), at: date(ms: r.int(1)), kind: r.text(2), origin: r.optionalText(3), seq: r.optionalInt(4), detail: r.text(5))
        }
    }

    // MARK: Vector and digest

    /// For each origin, the highest seq held.
    public func vector() throws -> VersionVector {
        var v = VersionVector()
        try db.cached("SELECT origin, max_seq FROM origins").forEach { row in
            if let o = ID128(bytes: row.blob(0)) { v[o] = UInt64(row.int(1)) }
        }
        return v
    }

    /// A SHA-256 over every materialised table (rows in primary-key order) and the vector.
    /// Two replicas with equal digests hold equal state.
    public func digest() throws -> String {
        try db.read {
            var hasher = SHA256()
            for table in Schema.materialisedTables { try hash(table: table, into: &hasher) }
            hasher.update(data: Array("vector \(try vector().compact)".utf8))
            return Array(hasher.finalize()).hex
        }
    }

    /// A SHA-256 of each materialised table, inside the caller's transaction.
    func tableHashes() throws -> [String: String] {
        var out: [String: String] = [:]
        for table in Schema.materialisedTables {
            var hasher = SHA256()
            try hash(table: table, into: &hasher)
            out[table] = Array(hasher.finalize()).hex
        }
        return out
    }

    private func hash(table: String, into hasher: inout SHA256) throws {
                hasher.update(data: Array("table \(table)\n".utf8))
                let columns = try db.prepare("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid").bind(.text(table)).map { ($0.text(0), $0.int(1)) }
                let order = columns.filter { $0.1 > 0 }.sorted { $0.1 < $1.1 }.map(\.0).joined(separator: ", ")
                try db.prepare("SELECT \(columns.map(\.0).joined(separator: ", ")) FROM \(table) ORDER BY \(order)").forEach { row in
                    var w = BinaryWriter(capacity: 128)
                    for c in 0..<row.columnCount {
                        switch row.value(c) {
                        case .null: w.u8(0)
                        case .int(let v):
                            w.u8(1)
                            w.varint(UInt64(bitPattern: v))
                        case .text(let s):
                            w.u8(2)
                            w.string(s)
                        case .blob(let b):
                            w.u8(3)
                            w.data(b)
                        }
                    }
                    hasher.update(data: w.bytes)
                }
    }

    /// Operation count and other figures for `sinkron whoami` and `status`.
    public func counts() throws -> (operations: Int64, records: Int64, origins: Int) {
        let ops = try db.cached("SELECT coalesce(sum(max_seq), 0) FROM origins").first { $0.int(0) } ?? 0
        let records = try db.cached("SELECT count(*) FROM records WHERE kind IS NOT NULL").first { $0.int(0) } ?? 0
        return (ops, records, origins.count)
    }
}
