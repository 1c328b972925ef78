/// One write of a field, as stored in the field's row of `write_sets`.
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
    var winner: FieldWrite? { winnerIndex.map { self[$0] } }

    /// The winning write's position (read in place: copying each write retains its `preds`).
    var winnerIndex: Int? {
        var best: Int?
        for i in indices where self[i].head && self[i].valid {
            if let b = best, !self[i].beats(self[b]) { continue }
            best = i
        }
        return best
    }
}

/// The writes of one field as `write_sets.writes` holds them: a count, then per write its
/// origin's local number, seq, clock, valid flag (0 or 1) and the writes it replaced. A replaced
/// write's origin is written as its local number + 1, or as 0 and its 16-byte id when this
/// replica has no number for it (a write may name an operation of an origin not met yet).
enum WriteSetCodec {
    static func encode(_ writes: [FieldWrite], localNumber: (OriginID) -> Int64?) -> [UInt8] {
        var w = BinaryWriter(capacity: writes.count * 24)
        w.varint(UInt64(writes.count))
        for write in writes {
            w.varint(UInt64(write.originIdx))
            w.varint(write.op.seq)
            w.varint(write.hlc.raw)
            w.u8(write.valid ? 1 : 0)
            w.varint(UInt64(write.preds.count))
            for pred in write.preds {
                if let idx = localNumber(pred.origin) {
                    w.varint(UInt64(idx) + 1)
                } else {
                    w.u8(0)
                    w.id(pred.origin)
                }
                w.varint(pred.seq)
            }
        }
        return w.bytes
    }

    /// The writes, heads not yet marked. `origin` maps a local number back to its origin.
    static func decode(_ bytes: [UInt8], origin: (Int64) -> OriginID?) throws -> [FieldWrite] {
        let unknown = ID128(high: 0, low: 0)
        var r = BinaryReader(bytes)
        let count = try r.varint()
        var out: [FieldWrite] = []
        out.reserveCapacity(Int(min(count, 1024)))
        for _ in 0..<count {
            let idx = Int64(truncatingIfNeeded: try r.varint())
            let seq = try r.varint()
            let hlc = HLC(raw: try r.varint())
            let valid = try r.u8() != 0
            let predCount = try r.varint()
            var preds: [OpID] = []
            for _ in 0..<predCount {
                let tag = try r.varint()
                let predOrigin = tag == 0 ? try r.id() : origin(Int64(truncatingIfNeeded: tag - 1)) ?? unknown
                preds.append(OpID(origin: predOrigin, seq: try r.varint()))
            }
            out.append(FieldWrite(op: OpID(origin: origin(idx) ?? unknown, seq: seq), originIdx: idx, hlc: hlc, preds: preds, head: true, valid: valid))
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
    static let selectWritesSQL = "SELECT writes FROM write_sets WHERE rid = ? AND field = ?"

    /// Every write of one field stored in `write_sets`, with heads marked.
    func storedWrites(rid: Int64, field: Field, using statement: Statement? = nil) throws -> [FieldWrite] {
        let select = try statement ?? db.cached(Self.selectWritesSQL)
        select.reset()
        guard let bytes = try select.bind(.int(rid), .int(Int64(field.rawValue))).first({ $0.blob(0) }) else { return [] }
        var writes = try decodeWriteSet(bytes)
        writes.markHeads()
        return writes
    }

    /// The writes of a `write_sets.writes` blob (heads not marked).
    func decodeWriteSet(_ bytes: [UInt8]) throws -> [FieldWrite] {
        do {
            return try WriteSetCodec.decode(bytes) { originsByIdx[$0] }
        } catch {
            throw ReplicaError(.storage, "a stored field write set is damaged (\(error))", hint: "run `sinkron verify`; restore a backup if it fails")
        }
    }
}

extension Applier {
    /// Every write of one field, with heads marked: from the batch's cache, else from SQLite
    /// (once per field per batch; a record first seen in this batch has none there).
    mutating func loadWrites(rid: Int64, field: Field) throws -> [FieldWrite] {
        if let cached = writes[Self.fieldKey(rid, field)] { return cached }
        return try loadStoredWrites(rid: rid, field: field)
    }

    /// A field outside the cache has no unwritten changes (`clearWriteCache` writes them first),
    /// so its row in SQLite is whole.
    private mutating func loadStoredWrites(rid: Int64, field: Field) throws -> [FieldWrite] {
        if freshRecords.contains(rid) { return [] }
        let loaded = try replica.storedWrites(rid: rid, field: field, using: selectWrites)
        if !loaded.isEmpty { storedWriteSets.insert(Self.fieldKey(rid, field)) }
        cachedWrites += loaded.count
        return loaded
    }

    /// Writes the write set of every field changed since the last call: one row per field, not
    /// one per write, so a field edited many times in a batch is written once. New fields go in
    /// by the multi-row INSERT, fields already stored by an UPSERT of their row.
    mutating func flushWriteSets() throws {
        guard !dirtyWriteSets.isEmpty else { return }
        let upsert = try db.cached(
            "INSERT INTO write_sets(rid, field, hlc, writes) VALUES (?,?,?,?) ON CONFLICT(rid, field) DO UPDATE SET hlc = excluded.hlc, writes = excluded.writes")
        let localNumbers = replica.origins.mapValues(\.idx)
        for key in dirtyWriteSets.sorted() {
            guard let list = writes[key] else { continue }
            let rid = key >> 8
            let field = key & 0xFF
            let blob = WriteSetCodec.encode(list) { localNumbers[$0] }
            let hlc = Int64(list.map(\.hlc.raw).max() ?? 0)
            if storedWriteSets.contains(key) {
                try upsert.bind(.int(rid), .int(field), .int(hlc), .blob(blob)).run()
            } else {
                writeRows.put(.int(rid))
                writeRows.put(.int(field))
                writeRows.put(.int(hlc))
                writeRows.put(.blob(blob))
                try writeRows.endRow()
                storedWriteSets.insert(key)
            }
        }
        try writeRows.flush()
        dirtyWriteSets.removeAll(keepingCapacity: true)
    }

    /// Records one write of a field and updates the winner, heads and conflicts: the rule is
    /// `FieldMerge.add`; around it, the field's writes are read (from the batch's cache, else
    /// SQLite) and what it decided is written. Heads are derived from the writes' `preds`, never
    /// stored; the field's row of `write_sets` is written once per batch (`flushWriteSets`),
    /// however many of its writes the batch holds.
    mutating func applyFieldWrite(
        _ ref: RecordRef, field: Field, op: OpID, originIdx: Int64, role: Role, hlc: HLC, value: String, preds: [OpID]
    ) throws {
        // Taken out of the cache while it changes, so appending does not copy it.
        let key = Self.fieldKey(ref.rid, field)
        var writes = try self.writes.removeValue(forKey: key) ?? loadStoredWrites(rid: ref.rid, field: field)
        let write = FieldWrite(op: op, originIdx: originIdx, hlc: hlc, preds: preds, head: true, valid: FieldMerge.isValid(field: field, role: role))
        let outcome = FieldMerge.add(write, to: &writes)
        dirtyWriteSets.insert(key)
        for other in outcome.conflicts { try recordConflict(ref, field: field, write, value: value, other) }
        cachedWrites += 1
        self.writes[key] = writes
        guard outcome.after?.op != outcome.before, let kind = ref.kind, let column = kind.column(of: field) else { return }
        let newValue: String?
        if let after = outcome.after {
            newValue = after.op == op ? value : try loadValue(after.op, originIdx: after.originIdx, field: field)
        } else {
            newValue = nil
        }
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
            if pendingBytes.capacity == 0 { pendingBytes.reserveCapacity(Self.pendingBytesLimit + 65_536) }
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
        // Two writes of one value lose nothing to each other (a record made twice by two nodes,
        // two desks typing the same fix): no conflict. A function of the pair, so order-free.
        guard otherValue != value else { return }
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
