/// One write of a field, as stored in `field_writes`.
struct FieldWrite {
    var op: OpID
    var originIdx: Int64
    var hlc: HLC
    var preds: [OpID]
    var head: Bool
    var valid: Bool

    /// Last-writer-wins order among concurrent heads: clock, then origin, then seq.
    func beats(_ other: FieldWrite) -> Bool {
        (hlc, op.origin, op.seq) > (other.hlc, other.op.origin, other.op.seq)
    }

    /// Two writes are concurrent siblings when they replaced the same value (or both replaced nothing).
    func isSibling(of other: FieldWrite) -> Bool {
        if preds.isEmpty && other.preds.isEmpty { return true }
        return preds.contains { other.preds.contains($0) }
    }
}

extension Array where Element == FieldWrite {
    /// The winning write: the greatest valid head.
    var winner: FieldWrite? {
        var best: FieldWrite?
        for w in self where w.head && w.valid {
            if best == nil || w.beats(best!) { best = w }
        }
        return best
    }
}

enum PredCodec {
    static func encode(_ preds: [OpID]) -> SQLValue {
        guard !preds.isEmpty else { return .null }
        var w = BinaryWriter(capacity: preds.count * 20)
        w.varint(UInt64(preds.count))
        for p in preds {
            w.id(p.origin)
            w.varint(p.seq)
        }
        return .blob(w.bytes)
    }

    static func decode(_ bytes: [UInt8]) -> [OpID] {
        guard !bytes.isEmpty else { return [] }
        var r = BinaryReader(bytes)
        guard let count = try? r.varint() else { return [] }
        var out: [OpID] = []
        for _ in 0..<count {
            guard let origin = try? r.id(), let seq = try? r.varint() else { break }
            out.append(OpID(origin: origin, seq: seq))
        }
        return out
    }
}

extension Array where Element == FieldWrite {
    /// Marks as heads the writes that no valid write of the field names as replaced.
    mutating func markHeads() {
        var replaced: Set<OpID> = []
        for w in self where w.valid { replaced.formUnion(w.preds) }
        for i in indices { self[i].head = !replaced.contains(self[i].op) }
    }
}

extension Replica {
    static let selectWritesSQL = "SELECT origin_idx, seq, hlc, preds, valid FROM field_writes WHERE rid = ? AND field = ?"

    /// Every write of one field stored in `field_writes`, with heads marked.
    func storedWrites(rid: Int64, field: Field, using statement: Statement? = nil) throws -> [FieldWrite] {
        let select = try statement ?? db.cached(Self.selectWritesSQL)
        select.reset()
        var writes = try select.bind(.int(rid), .int(Int64(field.rawValue))).map { row in
            let idx = row.int(0)
            return FieldWrite(
                op: OpID(origin: originsByIdx[idx] ?? ID128(high: 0, low: 0), seq: UInt64(row.int(1))), originIdx: idx,
                hlc: HLC(raw: UInt64(row.int(2))), preds: PredCodec.decode(row.blob(3)), head: true, valid: row.int(4) != 0)
        }
        writes.markHeads()
        return writes
    }
}

extension Applier {
    /// Every write of one field, with heads marked: from the batch's cache, else from SQLite
    /// (once per field per batch; a record first seen in this batch has none there).
    mutating func loadWrites(rid: Int64, field: Field) throws -> [FieldWrite] {
        if let cached = writes[Self.fieldKey(rid, field)] { return cached }
        return try loadStoredWrites(rid: rid, field: field)
    }

    /// No gathered write row belongs to a field outside the cache (`clearWriteCache` flushes
    /// them), so SQLite already holds every write of this one: no flush, which would otherwise
    /// write the rows gathered so far one statement each after the cache was first cleared.
    private mutating func loadStoredWrites(rid: Int64, field: Field) throws -> [FieldWrite] {
        if freshRecords.contains(rid) { return [] }
        let loaded = try replica.storedWrites(rid: rid, field: field, using: selectWrites)
        cachedWrites += loaded.count
        return loaded
    }

    /// Records one write of a field and updates the winner, heads and conflicts.
    ///
    /// A write replaces the writes it names; the heads are the valid writes no other write
    /// replaced; the value is the greatest head by (clock, origin, seq). Two writes that replaced
    /// the same value are concurrent: a conflict, recorded with its winner and loser. Heads are
    /// derived from the writes' `preds`, never stored, so a write costs one row insert.
    mutating func applyFieldWrite(
        _ ref: RecordRef, field: Field, op: OpID, originIdx: Int64, role: Role, hlc: HLC, value: String, preds: [OpID]
    ) throws {
        let required = RecordKind.letter.writer(of: field)
        let valid = required == nil || role == required
        // Taken out of the cache while it changes, so appending does not copy it.
        let key = Self.fieldKey(ref.rid, field)
        var writes = try self.writes.removeValue(forKey: key) ?? loadStoredWrites(rid: ref.rid, field: field)
        let before = writes.winner
        // Only a valid write replaces: a refused write (a letter number from the wrong role) must
        // not take the value it named out of the running.
        let superseded = writes.contains { $0.valid && $0.preds.contains(op) }
        if valid && !preds.isEmpty {
            for i in writes.indices where writes[i].head && preds.contains(writes[i].op) { writes[i].head = false }
        }
        let mine = FieldWrite(op: op, originIdx: originIdx, hlc: hlc, preds: preds, head: !superseded, valid: valid)
        writeRows.put(.int(ref.rid))
        writeRows.put(.int(Int64(field.rawValue)))
        writeRows.put(.int(originIdx))
        writeRows.put(.int(Int64(op.seq)))
        writeRows.put(.int(Int64(hlc.raw)))
        writeRows.put(PredCodec.encode(preds))
        writeRows.put(.int(valid ? 1 : 0))
        try writeRows.endRow()
        if valid {
            for other in writes where other.valid && other.isSibling(of: mine) {
                try recordConflict(ref, field: field, mine, value: value, other)
            }
        }
        writes.append(mine)
        cachedWrites += 1
        self.writes[key] = writes
        let after = writes.winner
        guard after?.op != before?.op, let kind = ref.kind, let column = kind.column(of: field) else { return }
        let newValue: String?
        if let after { newValue = after.op == op ? value : try loadValue(after.op, originIdx: after.originIdx, field: field) } else { newValue = nil }
        setColumn(ref, kind: kind, column: column, value: newValue)
    }

    /// Recomputes a column from the stored writes (used when a create arrives after writes).
    mutating func refreshColumn(_ ref: RecordRef, field: Field) throws {
        guard let kind = ref.kind, let column = kind.column(of: field) else { return }
        let writes = try loadWrites(rid: ref.rid, field: field)
        guard let winner = writes.winner else { return }
        setColumn(ref, kind: kind, column: column, value: try loadValue(winner.op, originIdx: winner.originIdx, field: field))
    }

    private mutating func setColumn(_ ref: RecordRef, kind: RecordKind, column: Int, value: String?) {
        var slot: UInt64 = 0
        if let value {
            let offset = pendingBytes.count
            pendingBytes.append(contentsOf: value.utf8)
            slot = UInt64(offset) << 32 | UInt64(pendingBytes.count - offset + 1)
        }
        let i = pendingIndex(ref, kind: kind)
        pendingRows.values[i].changed |= 1 << UInt32(column)
        pendingSlots[Int(pendingRows.values[i].firstSlot) + column] = slot
    }

    /// The value a stored operation wrote to `field`.
    func loadValue(_ op: OpID, originIdx: Int64, field: Field) throws -> String? {
        try opRows.flush()
        guard
            let operation = try db.cached("SELECT hlc, body FROM ops WHERE origin_idx = ? AND seq = ?")
                .bind(.int(originIdx), .int(Int64(op.seq)))
                .first({ row in try Operation.decode(origin: op.origin, seq: op.seq, hlc: HLC(raw: UInt64(row.int(0))), payload: row.blob(1)) })
        else { return nil }
        switch operation.body {
        case .set(_, let f, let value, _) where f == field: return value
        case .create(_, _, _, let fields): return fields.last { $0.field == field }?.value
        default: return nil
        }
    }

    private mutating func recordConflict(_ ref: RecordRef, field: Field, _ mine: FieldWrite, value: String, _ other: FieldWrite) throws {
        let otherValue = try loadValue(other.op, originIdx: other.originIdx, field: field) ?? ""
        let (winner, winnerValue, loser, loserValue) = mine.beats(other) ? (mine, value, other, otherValue) : (other, otherValue, mine, value)
        try db.cached(
            "INSERT OR IGNORE INTO conflicts(record, field, winner, loser, winner_value, loser_value, winner_hlc, loser_hlc) VALUES (?,?,?,?,?,?,?,?)"
        ).bind(
            .text(ref.hex), .text(field.name), .text("\(winner.op.origin.hex):\(winner.op.seq)"), .text("\(loser.op.origin.hex):\(loser.op.seq)"),
            .text(winnerValue), .text(loserValue), .int(Int64(winner.hlc.raw)), .int(Int64(loser.hlc.raw))
        ).run()
        conflictsFound += 1
    }
}
