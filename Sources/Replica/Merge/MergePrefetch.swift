/// The merge's first stage: reads everything a chunk of operations touches, in key order, into a
/// `MergeState`, before anything of the chunk is written. Execute reads nothing else, so nothing
/// it decides can depend on a write it has not seen.
///
/// For each record the chunk names (sorted by id): its `records` row; the write sets of the
/// fields the chunk writes (all of them, with its counting create, archive, steps and latest
/// change, when the chunk creates it); then, sorted by (origin, seq), the values of the stored
/// writes that can win or conflict with the chunk's. The log rows of every earlier chunk are
/// written by then (`Applier.mergeQueue`). A chunk holds all of a segment's operations on each
/// of its records (`MergeQueue`), so each record is read once and written once per segment.
struct MergePrefetch {
    let replica: Replica
    let db: Database

    init(replica: Replica) {
        self.replica = replica
        self.db = replica.db
    }

    /// What the chunk needs of one record.
    private struct Need {
        var creates = false
        /// Only named as a letter's parent: read if stored, never made.
        var lookup = true
        /// Per field the chunk writes, the writes each of its writes replaced.
        var fields: [Field: [[OpID]]] = [:]
    }

    /// Reads into `state` what the chunk needs and the state does not hold yet. A record the state
    /// holds may have changes not written yet (see `Applier.commitRecords`): of such a record only
    /// what the state lacks is read (fields never loaded, the values of stored writes), and SQLite
    /// holds those as they are.
    func load(_ ops: [MergeOp], into state: inout MergeState) throws {
        var needs: [RecordID: Need] = [:]
        var sops: Set<String> = []
        var enrolled: Set<NodeID> = []
        // A chunk comes grouped by record (`MergeQueue`): the need of the record at hand is built
        // aside and stored when an operation names another, not looked up for each operation.
        // (Any order gives the same needs.)
        var currentID: RecordID?
        var current = Need()
        // A record first met in this batch has nothing in SQLite: all it has is in the state.
        var currentIsNew = false
        func settle() {
            if let currentID, !currentIsNew { needs[currentID] = current }
        }
        func noteParent(_ kind: RecordKind, _ fields: [FieldValue]) {
            guard let parent = Self.letterParent(kind, fields), parent != currentID, needs[parent] == nil else { return }
            needs[parent] = Need()
        }
        // By index: see `MergeExecute.run`.
        for i in ops.indices {
            if let id = ops[i].record, id != currentID {
                settle()
                currentID = id
                currentIsNew = state.records[id].map { !$0.stored } ?? false
                current = currentIsNew ? Need() : needs.removeValue(forKey: id) ?? Need()
            }
            if currentIsNew, ops[i].record != nil {
                if case .create(_, let kind, let sop, let fields) = ops[i].op.body {
                    sops.insert(sop)
                    noteParent(kind, fields)
                }
                continue
            }
            switch ops[i].op.body {
            case .create(_, let kind, let sop, let fields):
                current.creates = true
                current.lookup = false
                for f in fields { current.fields[f.field, default: []].append([]) }
                sops.insert(sop)
                noteParent(kind, fields)
            case .set(_, let field, _, let replaces):
                current.lookup = false
                current.fields[field, default: []].append(replaces)
            case .step, .comment, .archive:
                current.lookup = false
            case .enroll(let member):
                enrolled.insert(member.node)
            case .genesis, .revoke, .flow, .setting:
                break
            }
        }
        settle()
        var valueRequests: [(originIdx: Int64, op: OpID, field: Field, record: RecordID, index: Int)] = []
        let sorted = needs.sorted(by: { $0.key < $1.key })
        let stored = try storedRecords(sorted.map(\.key).filter { state.records[$0] == nil })
        let selectRecord = try db.cached("SELECT rid, kind FROM records WHERE id = ?")
        for (id, need) in sorted {
            var r: RecordState
            if let held = state.records.removeValue(forKey: id) {
                r = held
            } else if let stored {
                guard let (rid, kind) = stored[id] else { continue }
                r = RecordState(rid: rid, id: id, stored: true, kind: kind)
            } else {
                selectRecord.reset()
                guard
                    let (rid, kind) = try selectRecord.bind(.text(id.hex)).first({ ($0.int(0), $0.optionalText(1).flatMap(RecordKind.init(rawValue:))) })
                else { continue }
                r = RecordState(rid: rid, id: id, stored: true, kind: kind)
            }
            if r.stored && !r.complete {
                if need.creates {
                    try loadCreated(&r)
                    try loadFields(&r, nil)
                    r.complete = true
                } else if !need.lookup {
                    try loadFields(&r, need.fields.keys.filter { r.loaded & Self.bit($0) == 0 })
                }
            }
            for (field, f) in r.fields {
                let incoming = need.fields[field] ?? []
                for i in Self.neededValues(f, incoming: incoming, creates: need.creates) { valueRequests.append((f.writes[i].originIdx, f.writes[i].op, field, id, i)) }
            }
            state.records[id] = r
        }
        // The values, in the log's key order.
        valueRequests.sort { ($0.originIdx, $0.op.seq) < ($1.originIdx, $1.op.seq) }
        var log = LogReader(db)
        for request in valueRequests {
            guard let entry = try log.entry(origin: request.originIdx, seq: request.op.seq),
                let value = try Self.value(of: Operation.decode(origin: request.op.origin, seq: request.op.seq, hlc: HLC(raw: entry.hlc), payload: entry.body), field: request.field)
            else { continue }
            state.records[request.record]?.fields[request.field]?.values[request.index] = value
        }
        if !state.numbered {
            state.nextRID = try db.cached("SELECT coalesce(max(rid), 0) + 1 FROM records").first { $0.int(0) } ?? 1
            state.numbered = true
        }
        state.flowStarts = [:]
        for sop in sops { state.flowStarts[sop] = db.flow(sop)?.start }
        let selectMember = try db.cached("SELECT enrolled_hlc, enrolled_by FROM members WHERE node = ?")
        state.members = [:]
        for node in enrolled {
            selectMember.reset()
            if let row = try selectMember.bind(.text(node.hex)).first({ (UInt64($0.int(0)), $0.text(1)) }) { state.members[node] = row }
        }
        state.revocations = [:]
        try db.cached("SELECT node, revoked_by, revoked_hlc, keep FROM revocations").forEach { row in
            guard let node = ID128(hex: row.text(0)) else { return }
            let keep = row.text(3).split(separator: ",").compactMap { Replica.parseOp(String($0)) }
            state.revocations[node] = StoredRevocation(hlc: UInt64(row.int(2)), by: row.text(1), keep: keep)
        }
        state.foldedNodes = enrolled.isEmpty ? [] : Set(replica.origins.values.filter { !replica.isCourtAdmin($0) }.map(\.node))
    }

    /// The stored records among `ids` (sorted), read in one range of the `records` index when
    /// that range holds few other records: a chunk's records are neighbours in key order, and in
    /// a large import the records an earlier chunk wrote all lie before it. Nil when the range
    /// holds more than four times as many records as `ids`: then each is looked up alone. (The
    /// `id` column holds `ID128.hex`, fixed-width lowercase big-endian, so its text order is the
    /// ids' order.)
    private func storedRecords(_ ids: [RecordID]) throws -> [RecordID: (Int64, RecordKind?)]? {
        guard ids.count > 1, let low = ids.first, let high = ids.last else { return nil }
        let cap = 4 * ids.count + 16
        var found: [RecordID: (Int64, RecordKind?)] = [:]
        var read = 0
        try db.cached("SELECT id, rid, kind FROM records WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ?")
            .bind(.text(low.hex), .text(high.hex), .int(Int64(cap))).forEach { row in
                read += 1
                if let id = ID128(hex: row.text(0)) { found[id] = (row.int(1), row.optionalText(2).flatMap(RecordKind.init(rawValue:))) }
            }
        return read < cap ? found : nil
    }

    /// The record a letter's create names as its parent (execute refolds it if it exists).
    static func letterParent(_ kind: RecordKind, _ fields: [FieldValue]) -> RecordID? {
        guard kind == .letter else { return nil }
        return fields.first { $0.field == .forRecord }.flatMap { RecordID(hex: $0.value) }
    }

    /// The writes of a field whose values execute may need and the state lacks. A write of the
    /// chunk can conflict with its valid siblings. The value changes only to the current winner
    /// (nothing to read: the column holds it, or the chunk wrote it) or a write of the chunk,
    /// unless a write of the chunk replaces the winner: then any other valid head may win (the
    /// winner's own value is not needed: if it still wins, its column is not written). A create
    /// that counts writes the whole row, so it needs every field's winner.
    static func neededValues(_ f: FieldState, incoming: [[OpID]], creates: Bool) -> [Int] {
        guard creates || !incoming.isEmpty else { return [] }
        let winner = f.writes.winnerIndex
        let winnerReplaced = winner.map { w in incoming.contains { $0.contains(f.writes[w].op) } } ?? false
        return f.writes.indices.filter { i in
            let w = f.writes[i]
            guard f.values[i] == nil && w.valid else { return false }
            return (creates && i == winner) || (winnerReplaced && w.head && i != winner) || incoming.contains { FieldWrite.areSiblings($0, w.preds) }
        }
    }

    static func bit(_ field: Field) -> UInt64 { 1 << UInt64(field.rawValue) }

    /// Decodes the write sets of `fields` (nil: every field) that the record has in SQLite, from
    /// its one row of `write_sets` (read once).
    private func loadFields(_ r: inout RecordState, _ fields: [Field]?) throws {
        if !r.setsRead {
            if let row = try db.cached("SELECT hlc, writes FROM write_sets WHERE rid = ?").bind(.int(r.rid)).first({ ($0.int(0), $0.blob(1)) }) {
                (r.storedSetsHLC, r.storedSets) = row
            }
            r.setsRead = true
        }
        let held = Set(r.fields.keys)
        let wanted = fields.map(Set.init)
        let sets = try r.storedSets.map { try replica.writeSets($0) { !held.contains($0) && wanted?.contains($0) ?? true } } ?? []
        if let fields {
            for field in fields { r.loaded |= Self.bit(field) }
        } else {
            r.loaded = .max
        }
        for (field, writes) in sets {
            var f = FieldState()
            f.writes = writes
            f.storedWinner = f.writes.winner?.op
            f.values = Array(repeating: nil, count: f.writes.count)
            r.fields[field] = f
        }
    }

    /// What a record the chunk creates needs besides its fields: the create that counts, whether
    /// it is archived or has step events, and the latest millisecond of anything stored for it.
    private func loadCreated(_ r: inout RecordState) throws {
        var log = LogReader(db)
        if r.kind != nil,
            let (idx, seq) = try db.cached("SELECT create_origin, create_seq FROM records WHERE rid = ? AND create_origin IS NOT NULL")
                .bind(.int(r.rid)).first({ ($0.int(0), UInt64($0.int(1))) }),
            let stored = try log.entry(origin: idx, seq: seq),
            let origin = replica.originsByIdx[idx],
            case .create(_, let kind, let sop, let fields) = try Operation.decode(origin: origin, seq: seq, hlc: HLC(raw: stored.hlc), payload: stored.body).body
        {
            r.create = CreateInfo(hlc: HLC(raw: stored.hlc), origin: origin, seq: seq, originIdx: idx, kind: kind, sop: sop, fields: fields)
        }
        r.archived = try db.cached("SELECT 1 FROM archives WHERE rid = ? LIMIT 1").bind(.int(r.rid)).first { _ in true } ?? false
        r.hasSteps = try db.cached("SELECT 1 FROM steps WHERE record = ? LIMIT 1").bind(.text(r.id.hex)).first { _ in true } ?? false
        let latest = try db.cached(
            """
            SELECT max(m) FROM (
                SELECT max(hlc) AS m FROM write_sets WHERE rid = ?1
                UNION ALL SELECT max(hlc) FROM steps WHERE record = ?2
                UNION ALL SELECT max(hlc) FROM comments WHERE record = ?2
                UNION ALL SELECT max(hlc) FROM archives WHERE rid = ?1)
            """
        ).bind(.int(r.rid), .text(r.id.hex)).first { $0.optionalInt(0) } ?? nil
        if let latest { r.latest = Int64(UInt64(latest) >> 16) }
        // A row already there (an earlier create) was raised to the latest operation on it too.
        if let kind = r.kind, let updated = try db.cached("SELECT updated_at FROM \(kind.table) WHERE id = ?").bind(.text(r.id.hex)).first({ $0.int(0) }) {
            r.latest.raise(to: updated)
        }
    }

    /// The value a stored operation wrote to `field` (a create naming it twice: the last).
    static func value(of operation: Operation, field: Field) -> String? {
        switch operation.body {
        case .set(_, let f, let value, _) where f == field: value
        case .create(_, _, _, let fields): fields.last { $0.field == field }?.value
        default: nil
        }
    }
}
