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
    /// Only open records past their time standard in the court's working time, as
    /// `list(overdueOnly:)` (`sinkron list --overdue`) finds them.
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
    /// More records match than were counted (`total` is the count limit).
    public var totalIsLowerBound = false
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

    /// A page of records matching `query`, newest change first. Only the page's rows are read
    /// whole: open records come in order from a partial index (see `prepareListIndexes`), closed
    /// ones from a scan with a top-N sort; `total` is exact up to `countLimit` (beyond it,
    /// `countLimit` and `totalIsLowerBound`).
    public func records(_ query: RecordQuery, offset: Int = 0, limit: Int = 50, countLimit: Int = 100_000, now: Date? = nil) throws -> RecordPage {
        let now = now ?? courtDate
        let limit = max(1, min(limit, maxRecordPage))
        let offset = max(0, min(offset, 10_000_000))
        var keys: [(updated: Int64, id: String, kind: RecordKind)] = []
        var total = 0
        var capped = false
        let openOnly = query.openOnly || query.waitingFor != nil || query.lateOnly
        // The court's calendar, read once for the page (it is court data: a few dozen settings).
        let calendar = workingCalendar
        let late = query.lateOnly ? try lateConditions(now: now, calendar: calendar) : [:]
        // One ordered walk of the index per kind and status, merged here.
        for kind in query.kind.map({ [$0] }) ?? RecordKind.allCases {
            guard let (clause, filterValues) = filter(query, kind: kind, late: late[kind]) else { continue }
            for status in openOnly ? ["open"] : ["open", "waiting", "done", "archived"] {
                let values = [SQLValue.text(status)] + filterValues
                // Counted first, from the status index: a status no record has (most kinds and
                // statuses of a desk's replica) costs no read of its table.
                let where_ = (["status = ?"] + clause).joined(separator: " AND ")
                let count =
                    try db.prepare("SELECT count(*) FROM (SELECT 1 FROM \(kind.table) WHERE \(where_) LIMIT ?)")
                    .bind(all: values + [.int(Int64(countLimit) + 1)]).first { Int($0.int(0)) } ?? 0
                if count > countLimit { capped = true }
                total += min(count, countLimit)
                guard count > 0 else { continue }
                // The page's keys and those before it: counting goes by count(*) above, so a
                // first page of 100,000 records reads 50 keys, not 100,000.
                let wanted = offset + limit
                var found: [(updated: Int64, id: String)] = []
                // Open records (what desks work on) are read in order from the partial index
                // `prepareListIndexes` makes; it names status = 'open' literally, so the query must too.
                // A status few records have is read through the status index and sorted (a row
                // lookup each); others by a scan and SQLite's top-N sort.
                let indexed = status == "open" && hasListIndex(kind)
                let sparse = !indexed && count <= min(countLimit, Self.sparseStatus)
                let ordered = indexed ? "status = 'open'" : sparse ? "status = ?" : "+status = ?"
                let orderedValues = indexed ? filterValues : values
                // Named, or SQLite (without statistics) prefers the (status, step_since) index and a sort.
                let source = indexed ? "\(kind.table) INDEXED BY \(Self.listIndex(kind))" : kind.table
                let tail = " ORDER BY updated_at DESC, id DESC LIMIT ?"
                if clause.isEmpty || sparse {
                    let filter = clause.isEmpty ? "" : " AND " + clause.joined(separator: " AND ")
                    try db.prepare("SELECT updated_at, id FROM \(source) WHERE \(ordered)\(filter)" + tail)
                        .bind(all: orderedValues + [.int(Int64(wanted))]).forEach { found.append(($0.int(0), $0.text(1))) }
                } else {
                    // A filter may match most open rows (a desk's own steps) or almost none (a search,
                    // another role's steps). One sequential scan first ("+status" keeps SQLite off the
                    // status indexes, which cost a row lookup per entry): when it finds fewer than
                    // `wanted` rows it has found them all, and they are sorted here; when it stops at
                    // `wanted`, matches are dense and the ordered read reaches them as early.
                    let filter = clause.joined(separator: " AND ")
                    try db.prepare("SELECT updated_at, id FROM \(kind.table) WHERE +status = ? AND \(filter) LIMIT ?")
                        .bind(all: values + [.int(Int64(wanted))]).forEach { found.append(($0.int(0), $0.text(1))) }
                    if found.count < wanted {
                        found.sort { ($0.updated, $0.id) > ($1.updated, $1.id) }
                    } else {
                        found.removeAll(keepingCapacity: true)
                        try db.prepare("SELECT updated_at, id FROM \(source) WHERE \(ordered) AND \(filter)" + tail)
                            .bind(all: orderedValues + [.int(Int64(wanted))]).forEach { found.append(($0.int(0), $0.text(1))) }
                    }
                }
                for key in found.prefix(offset + limit) { keys.append((key.updated, key.id, kind)) }
            }
        }
        keys.sort { ($0.updated, $0.id) > ($1.updated, $1.id) }
        var rows: [RecordSummary] = []
        for key in keys.dropFirst(offset).prefix(limit) {
            if let row = try db.cached("SELECT \(Self.summaryColumns(key.kind)) FROM \(key.kind.table) WHERE id = ?").bind(.text(key.id))
                .first({ summary($0, kind: key.kind, now: now, calendar: calendar).0 })
            {
                rows.append(row)
            }
        }
        return RecordPage(records: rows, total: total, totalIsLowerBound: capped)
    }

    /// Indexes that let list pages read open records in order of their last change without
    /// sorting the table. Local to this file: they hold nothing of their own (the digest and the
    /// schema version do not see them), so replicas with and without them stay equal. Partial (open
    /// records only), so the closed history, most of a court's records, costs merges nothing; each
    /// change to an open record's row updates one more index.
    static func listIndex(_ kind: RecordKind) -> String { "\(kind.table)_open_recent" }

    /// Most rows of one status a page reads through the status index, a row lookup each, rather
    /// than by a scan of the table.
    static let sparseStatus = 1_000

    func hasListIndex(_ kind: RecordKind) -> Bool {
        (try? db.cached("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").bind(.text(Self.listIndex(kind))).first { _ in true }) != nil
    }

    public func prepareListIndexes() throws {
        try storage {
            // Only those missing: the check is a read, and takes no lock from a syncing daemon.
            for kind in RecordKind.allCases where !hasListIndex(kind) {
                try db.execute("CREATE INDEX IF NOT EXISTS \(Self.listIndex(kind)) ON \(kind.table)(updated_at) WHERE status = 'open'")
            }
        }
    }

    /// The WHERE terms of `query` for one kind's table, besides its status; nil when no record of
    /// this kind can match. `late` is the kind's condition from `lateConditions`.
    func filter(_ query: RecordQuery, kind: RecordKind, late: (sql: String, values: [SQLValue])?) -> ([String], [SQLValue])? {
        var terms: [String] = []
        var values: [SQLValue] = []
        if let role = query.waitingFor {
            let sops = SOP.catalog.filter { $0.kind == kind }
            var any: [String] = []
            for sop in sops {
                let steps = sop.steps.filter { $0.actors.contains(role) }.map(\.number)
                guard !steps.isEmpty else { continue }
                // A record names its flow as CODE, or CODE@N for version N of the court's book. One
                // waiting at its letter's first step while the letter runs waits for the letter.
                let letter = sop.letter.map { " AND NOT (step = \($0.from) AND EXISTS (SELECT 1 FROM letters l WHERE l.for_record = \(kind.table).id))" } ?? ""
                any.append("((sop = ? OR sop GLOB ?) AND step IN (\(steps.map(String.init).joined(separator: ",")))\(letter))")
                values += [.text(sop.code), .text(sop.code + "@*")]
            }
            guard !any.isEmpty else { return nil }
            terms.append("(" + any.joined(separator: " OR ") + ")")
        }
        if query.lateOnly {
            guard let late else { return nil }
            terms.append(late.sql)
            values += late.values
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
}

extension Statement {
    /// Binds a list of values to parameters 1, 2, 3...
    @discardableResult
    func bind(all values: [SQLValue]) -> Statement {
        for (offset, value) in values.enumerated() { bind(value, at: Int32(offset + 1)) }
        return self
    }
}
