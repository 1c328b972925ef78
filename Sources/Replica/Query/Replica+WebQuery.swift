import Foundation

/// Which records a page lists. Every filter is pushed into SQL, so a page of a large replica
/// reads only the rows it shows (plus one count per kind).
public struct RecordQuery: Sendable, Equatable {
    public var kind: RecordKind?
    /// Only records whose flow is running.
    public var openOnly = false
    /// Only open records whose current step a node of this role performs.
    public var waitingFor: Role?
    /// Only records created by this node (its name, as in `created_by`).
    public var createdBy: String?
    /// Only open records past the time standard of their current step.
    public var lateOnly = false
    /// Words that must occur in the record's title, case number or subject.
    public var search: String?

    public init(kind: RecordKind? = nil, openOnly: Bool = false, waitingFor: Role? = nil, createdBy: String? = nil, lateOnly: Bool = false, search: String? = nil) {
        self.kind = kind
        self.openOnly = openOnly
        self.waitingFor = waitingFor
        self.createdBy = createdBy
        self.lateOnly = lateOnly
        self.search = search
    }
}

/// One page of records, newest change first, and how many match in all.
public struct RecordPage: Sendable, Equatable {
    public var records: [RecordSummary]
    public var total: Int
}

/// The largest page a caller may ask for.
public let maxRecordPage = 500

extension Replica {
    /// Reloads what other processes (the sync daemon) added to the log since this replica was
    /// opened: new origins and their names. Long-lived readers call it before each read.
    public func refresh() throws {
        try loadOrigins()
    }

    /// A number that changes whenever an operation is added (here or by a sync): live pages poll it.
    public func changeMark() throws -> Int64 {
        try db.cached("SELECT coalesce(sum(max_seq), 0) FROM origins").first { $0.int(0) } ?? 0
    }

    /// A page of records matching `query`, newest change first.
    public func records(_ query: RecordQuery, offset: Int = 0, limit: Int = 50, now: Date? = nil) throws -> RecordPage {
        let now = now ?? courtDate
        let limit = max(1, min(limit, maxRecordPage))
        let offset = max(0, offset)
        var rows: [RecordSummary] = []
        var total = 0
        for kind in query.kind.map({ [$0] }) ?? RecordKind.allCases {
            guard let (clause, values) = Self.filter(query, kind: kind, now: now) else { continue }
            let whereSQL = clause.isEmpty ? "" : "WHERE " + clause.joined(separator: " AND ")
            total += Int(try db.prepare("SELECT count(*) FROM \(kind.table) \(whereSQL)").bind(all: values).first { $0.int(0) } ?? 0)
            let sql = "SELECT \(Self.summaryColumns(kind)) FROM \(kind.table) \(whereSQL) ORDER BY updated_at DESC, id DESC LIMIT ?"
            try db.prepare(sql).bind(all: values + [.int(Int64(offset + limit))]).forEach { row in
                rows.append(summary(row, kind: kind, now: now).0)
            }
        }
        rows.sort { ($0.updatedAt, $0.id) > ($1.updatedAt, $1.id) }
        let page = rows.dropFirst(offset).prefix(limit)
        return RecordPage(records: Array(page), total: total)
    }

    /// The WHERE terms of `query` for one kind's table; nil when no record of this kind can match.
    static func filter(_ query: RecordQuery, kind: RecordKind, now: Date) -> ([String], [SQLValue])? {
        var terms: [String] = []
        var values: [SQLValue] = []
        let sops = SOP.catalog.filter { $0.kind == kind }
        if query.openOnly || query.waitingFor != nil || query.lateOnly { terms.append("status = 'open'") }
        if let role = query.waitingFor {
            var any: [String] = []
            for sop in sops {
                let steps = sop.steps.filter { $0.actors.contains(role) }.map(\.number)
                guard !steps.isEmpty else { continue }
                any.append("(sop = ? AND step IN (\(steps.map(String.init).joined(separator: ","))))")
                values.append(.text(sop.code))
            }
            guard !any.isEmpty else { return nil }
            terms.append("(" + any.joined(separator: " OR ") + ")")
        }
        if query.lateOnly {
            let nowMs = Int64(now.timeIntervalSince1970 * 1000)
            var any: [String] = []
            for sop in sops {
                for step in sop.steps {
                    any.append("(sop = ? AND step = \(step.number) AND step_since < \(nowMs - Int64(step.minutes) * 60_000))")
                    values.append(.text(sop.code))
                }
            }
            guard !any.isEmpty else { return nil }
            terms.append("(" + any.joined(separator: " OR ") + ")")
        }
        if let node = query.createdBy {
            terms.append("created_by = ?")
            values.append(.text(node))
        }
        if let words = query.search?.trimmingCharacters(in: .whitespacesAndNewlines), !words.isEmpty {
            let columns = kind.fields.filter { [.title, .caseNumber, .subject, .description, .reason].contains($0) }.map(\.name)
            for word in words.split(separator: " ").prefix(8) {
                let pattern = "%" + word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
                var any = columns.map { "\($0) LIKE ? ESCAPE '\\'" }
                values.append(contentsOf: Array(repeating: .text(pattern), count: columns.count))
                // A word of at least 4 hex digits also finds the record whose id starts with it.
                if word.count >= 4, word.allSatisfy(\.isHexDigit) {
                    any.append("(id >= ? AND id < ?)")
                    values.append(contentsOf: [.text(word.lowercased()), .text(word.lowercased() + "g")])
                }
                terms.append("(" + any.joined(separator: " OR ") + ")")
            }
        }
        return (terms, values)
    }

    /// One merge session, or nil.
    public func session(_ id: Int64) throws -> SessionEntry? {
        try sessions(limit: Int.max).first { $0.id == id }
    }

    /// Operations a merge session brought, per origin node name (most first).
    public func sessionOrigins(_ id: Int64) throws -> [(node: String, operations: Int)] {
        var out: [(String, Int)] = []
        try db.prepare("SELECT origin_idx, count(*) FROM ops WHERE session = ? GROUP BY origin_idx").bind(.int(id)).forEach { row in
            let name = originsByIdx[row.int(0)].flatMap { origins[$0]?.name } ?? "?"
            out.append((name, Int(row.int(1))))
        }
        return out.sorted { ($0.1, $1.0) > ($1.1, $0.0) }.map { (node: $0.0, operations: $0.1) }
    }
}

extension Statement {
    /// Binds a list of values to parameters 1, 2, 3...
    @discardableResult
    func bind(all values: [SQLValue]) -> Statement {
        for (offset, value) in values.enumerated() { bind(value, at: Int32(offset + 1)) }
        return self
    }
}
