import Replica
import Testing

@testable import Replica

/// The merge's execute stage (`MergeExecute.run`) driven alone, with no SQLite: random sets of
/// operations on a few records, in random orders and split into random chunks, must end where a
/// deliberately naive model of the merge rules says, which looks at the whole set at once.
///
/// Between chunks the test plays prefetch and commit in memory: the rows and write sets the
/// changes describe are applied to plain dictionaries (records' changes after some chunks, as
/// `Applier` does when its state is full, and at the end), and the next chunk's state is read
/// back from them the way `MergePrefetch` reads SQLite, values included only for the stored
/// writes that are valid heads or siblings of the next chunk's writes.
@Suite("Merge execute against a naive model") struct MergeExecuteTests {
    static let origins: [OriginInfo] = [(1, Role.mejaSatu), (2, .umumKeuangan), (3, .stafTI)].map { n, role in
        OriginInfo(
            idx: Int64(n), origin: ID128(high: UInt64(n), low: 0), node: ID128(high: 100 + UInt64(n), low: 0), publicKey: [UInt8(n)], name: "desk \(n)",
            role: role, court: "PN Test", maxSeq: 0, headHash: [])
    }
    /// A flow whose definition is held (first step 1) and one whose is not.
    static let flowStarts: [String: Int?] = ["BUG": 1, "TUGAS": nil]

    // MARK: Operations

    static func operations(_ rng: inout SplitMix64) -> [MergeOp] {
        let records = (0..<(1 + Int(rng.next() % 3))).map { RecordID(high: 7, low: UInt64($0)) }
        let values = ["a", "b", "c"]
        var seqs = [UInt64](repeating: 0, count: origins.count)
        var ops: [MergeOp] = []
        /// The writes of each (record, field) made so far: a later write may replace some.
        var written: [RecordID: [Field: [OpID]]] = [:]
        func next(_ o: Int, _ body: OperationBody) {
            seqs[o] += 1
            let hlc = HLC(milliseconds: 1_000 + rng.next() % 8, counter: UInt16(rng.next() % 2))
            let op = Operation(origin: origins[o].origin, seq: seqs[o], hlc: hlc, author: rng.next() % 2 == 0 ? "" : "clerk", body: body)
            ops.append(MergeOp(op: op, origin: origins[o]))
        }
        for _ in 0..<(3 + Int(rng.next() % 14)) {
            let o = Int(rng.next() % UInt64(origins.count))
            let record = records[Int(rng.next() % UInt64(records.count))]
            switch rng.next() % 10 {
            case 0, 1:
                // Kinds and flows vary, so that two creates of one id may disagree.
                let (kind, sop): (RecordKind, String) = [(.letter, "BUG"), (.bug, "BUG"), (.task, "TUGAS")][Int(rng.next() % 3)]
                var fields: [FieldValue] = []
                for field in kind.fields.prefix(3) where rng.next() % 2 == 0 { fields.append(FieldValue(field, values[Int(rng.next() % 3)])) }
                if kind == .letter && rng.next() % 2 == 0 { fields.append(FieldValue(.number, values[Int(rng.next() % 3)])) }
                next(o, .create(record: record, kind: kind, sop: sop, fields: fields))
                for f in fields { written[record, default: [:]][f.field, default: []].append(ops.last!.op.id) }
            case 2...6:
                let field: Field = [.title, .subject, .number, .direction, .assignee][Int(rng.next() % 5)]
                let earlier = written[record]?[field] ?? []
                var replaces: [OpID] = []
                for _ in 0..<Int(rng.next() % 3) where !earlier.isEmpty {
                    let p = earlier[Int(rng.next() % UInt64(earlier.count))]
                    if !replaces.contains(p) { replaces.append(p) }
                }
                next(o, .set(record: record, field: field, value: values[Int(rng.next() % 3)], replaces: replaces))
                written[record, default: [:]][field, default: []].append(ops.last!.op.id)
            case 7:
                next(o, .archive(record: record))
            case 8:
                next(o, .comment(record: record, text: "catatan"))
            default:
                next(o, .step(record: record, step: 1, branch: nil, note: ""))
            }
        }
        return ops
    }

    // MARK: The naive model

    /// A kind-table row, as commit writes it.
    typealias Row = RowValues

    struct Conflict: Hashable {
        var record: RecordID
        var field: Field
        var winner: OpID
        var loser: OpID
        var winnerValue: String
        var loserValue: String
    }

    struct Tables: Equatable {
        var rows: [RecordID: Row] = [:]
        var conflicts: Set<Conflict> = []
        /// Per record and field: each write, whether it counts, and what it replaced.
        var writes: [RecordID: [Field: Set<[OpID]>]] = [:]
        var steps = 0
        var comments = 0
        var archives = 0
    }

    /// The tables from the whole set of operations at once.
    static func model(_ ops: [MergeOp]) -> Tables {
        var tables = Tables()
        func key(_ op: Operation) -> (UInt64, OriginID, UInt64) { (op.hlc.raw, op.origin, op.seq) }
        let byRecord = Dictionary(grouping: ops, by: { $0.op.body.record! })
        for (record, recordOps) in byRecord {
            var writes: [Field: [(FieldWrite, String)]] = [:]
            for m in recordOps {
                func add(_ field: Field, _ value: String, _ preds: [OpID]) {
                    let valid = FieldMerge.isValid(field: field, role: m.origin.role)
                    writes[field, default: []].append(
                        (FieldWrite(op: m.op.id, originIdx: m.origin.idx, hlc: m.op.hlc, preds: preds, head: true, valid: valid), value))
                }
                switch m.op.body {
                case .create(_, _, _, let fields):
                    for f in fields { add(f.field, fields.last { $0.field == f.field }!.value, []) }
                case .set(_, let field, let value, let replaces): add(field, value, replaces)
                case .step: tables.steps += 1
                case .comment: tables.comments += 1
                case .archive: tables.archives += 1
                default: break
                }
            }
            var winners: [Field: String] = [:]
            for (field, list) in writes {
                let model = FieldMergeModelTests.Model(writes: list.map(\.0))
                let value = { (op: OpID) in list.first { $0.0.op == op }!.1 }
                if let winner = model.winner { winners[field] = value(winner) }
                for pair in model.conflicts where pair[0] != pair[1] && value(pair[0]) != value(pair[1]) {
                    tables.conflicts.insert(Conflict(record: record, field: field, winner: pair[0], loser: pair[1], winnerValue: value(pair[0]), loserValue: value(pair[1])))
                }
                tables.writes[record, default: [:]][field] = Set(list.map { [$0.0.op] + [$0.0.valid ? OpID(origin: ID128(high: 0, low: 1), seq: 0) : OpID(origin: ID128(high: 0, low: 0), seq: 0)] + $0.0.preds })
            }
            let creates = recordOps.filter { if case .create = $0.op.body { true } else { false } }
            guard let counting = creates.min(by: { key($0.op) < key($1.op) }), case .create(_, let kind, let sop, _) = counting.op.body else { continue }
            let archived = recordOps.contains { if case .archive = $0.op.body { true } else { false } }
            let start = flowStarts[sop] ?? nil
            tables.rows[record] = Row(
                kind: kind, sop: sop, status: archived ? "archived" : start == nil ? "waiting" : "open", step: start,
                createdAt: Int64(counting.op.hlc.milliseconds), createdBy: counting.origin.name,
                author: counting.op.author.isEmpty ? counting.origin.name : counting.op.author,
                updatedAt: recordOps.map { Int64($0.op.hlc.milliseconds) }.max()!, archived: archived, columns: kind.fields.map { winners[$0] })
        }
        return tables
    }

    // MARK: Prefetch and commit, in memory

    /// What SQLite would hold: the tables, and per record what prefetch reads.
    struct Store {
        var tables = Tables()
        var records: [RecordID: RecordState] = [:]
        var nextRID: Int64 = 1

        /// What prefetch adds to `state` for `ops`: records the state lacks, as stored, and the
        /// values of stored writes the chunk's writes may need.
        func prefetch(_ ops: [MergeOp], into state: inout MergeState) {
            state.flowStarts = MergeExecuteTests.flowStarts
            if !state.numbered { (state.nextRID, state.numbered) = (nextRID, true) }
            var incoming: [RecordID: [Field: [[OpID]]]] = [:]
            var creates: Set<RecordID> = []
            for m in ops {
                switch m.op.body {
                case .create(let id, _, _, let fields):
                    creates.insert(id)
                    for f in fields { incoming[id, default: [:]][f.field, default: []].append([]) }
                case .set(let id, let field, _, let replaces): incoming[id, default: [:]][field, default: []].append(replaces)
                default: break
                }
            }
            for id in Set(ops.compactMap(\.op.body.record)) {
                guard let stored = records[id] else { continue }
                var r = state.records[id] ?? {
                    var fresh = stored
                    for field in fresh.fields.keys { fresh.fields[field]!.values = fresh.fields[field]!.values.map { _ in nil } }
                    return fresh
                }()
                for (field, f) in r.fields {
                    for i in MergePrefetch.neededValues(f, incoming: incoming[id]?[field] ?? [], creates: creates.contains(id))
                    where i < (stored.fields[field]?.values.count ?? 0) {
                        r.fields[field]!.values[i] = stored.fields[field]!.values[i]
                    }
                }
                state.records[id] = r
            }
        }

        /// Writes what is only added (conflicts, steps, comments, archives).
        mutating func commit(_ changes: MergeChanges) {
            for c in changes.conflicts {
                tables.conflicts.insert(
                    Conflict(record: c.record, field: c.field, winner: c.winner.op, loser: c.loser.op, winnerValue: c.winnerValue, loserValue: c.loserValue))
            }
            tables.steps += changes.steps.count
            tables.comments += changes.comments.count
            tables.archives += changes.archives.count
        }

        /// Writes the records' changes, and keeps each record as the next prefetch would read it.
        mutating func commitRecords(_ state: inout MergeState) {
            let after = state.records
            nextRID = state.nextRID
            for change in MergeExecute.takeRecordChanges(&state) {
                for set in change.writeSets {
                    tables.writes[change.id, default: [:]][set.field] = Set(set.writes.map {
                        [$0.op] + [$0.valid ? OpID(origin: ID128(high: 0, low: 1), seq: 0) : OpID(origin: ID128(high: 0, low: 0), seq: 0)] + $0.preds
                    })
                }
                switch change.row {
                case .create(let v, _):
                    tables.rows[change.id] = v
                case .update(let changed, let columns, let touched, let archive):
                    var row = tables.rows[change.id]!
                    for i in row.columns.indices where changed & (1 << UInt32(i)) != 0 { row.columns[i] = columns[i] }
                    row.updatedAt = max(row.updatedAt, touched)
                    if archive { (row.archived, row.status) = (true, "archived") }
                    tables.rows[change.id] = row
                case nil: break
                }
            }
            for (id, r) in after where r.dirty {
                var stored = RecordState(rid: r.rid, id: id, stored: true, kind: r.kind)
                stored.create = r.create
                stored.archived = r.archived
                stored.hasSteps = r.hasSteps
                stored.latest = max(r.latest, r.touched, tables.rows[id]?.updatedAt ?? .min)
                stored.complete = true
                for (field, f) in r.fields {
                    // The log keeps every value, also those the last prefetch left out.
                    let kept = records[id]?.fields[field]?.values ?? []
                    let values = f.values.enumerated().map { i, value in value ?? (i < kept.count ? kept[i] : nil) }
                    stored.fields[field] = FieldState(writes: f.writes, values: values, storedWinner: f.writes.winner?.op)
                }
                records[id] = stored
            }
        }
    }

    @Test("any order, in any chunks, ends at the model's rows, write sets and conflicts")
    func randomOperationsInRandomOrdersAndChunks() {
        var rng = SplitMix64(seed: 0x3E4C_E5EE)
        var checked = 0
        var sawChunks = 0
        for _ in 0..<400 {
            let ops = Self.operations(&rng)
            let model = Self.model(ops)
            for _ in 0..<4 {
                var order = ops
                for i in order.indices.reversed() { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
                var store = Store()
                var state = MergeState()
                var rest = order[...]
                while !rest.isEmpty {
                    let size = 1 + Int(rng.next() % UInt64(rest.count))
                    let chunk = Array(rest.prefix(size))
                    rest = rest.dropFirst(size)
                    store.prefetch(chunk, into: &state)
                    store.commit(MergeExecute.run(chunk, state: &state))
                    // Records' changes are written at the end of the batch, or sooner.
                    if rest.isEmpty || rng.next() % 2 == 0 { store.commitRecords(&state) }
                    if !rest.isEmpty { sawChunks += 1 }
                }
                #expect(store.tables == model, "order \(order.map(\.op.id))")
                checked += 1
            }
        }
        #expect(checked == 1_600 && sawChunks > 1_000)
    }
}
