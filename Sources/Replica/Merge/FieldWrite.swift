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
    func isSibling(of other: FieldWrite) -> Bool { Self.areSiblings(preds, other.preds) }

    /// Whether writes that replaced `a` and `b` are siblings.
    static func areSiblings(_ a: [OpID], _ b: [OpID]) -> Bool {
        if a.isEmpty && b.isEmpty { return true }
        return a.contains { b.contains($0) }
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
    static func decode(_ bytes: [UInt8], in range: Range<Int>? = nil, origin: (Int64) -> OriginID?) throws -> [FieldWrite] {
        let unknown = ID128(high: 0, low: 0)
        var r = BinaryReader(bytes, offset: range?.lowerBound ?? 0, end: range?.upperBound)
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
        guard r.isAtEnd else { throw CodecError.malformed("a write set has \(r.remaining) bytes after its writes") }
        return out
    }
}

/// All the write sets of one record, as its row of `write_sets` holds them: for each field that
/// has writes, in field order, its code, the length of its `WriteSetCodec` bytes, and those.
/// One row per record: a merge reads and writes a record's fields at once.
enum RecordWriteSets {
    /// Where each field's write set lies in `bytes`, in field order.
    static func fields(_ bytes: [UInt8]) throws -> [(field: Field, range: Range<Int>)] {
        var r = BinaryReader(bytes)
        var out: [(Field, Range<Int>)] = []
        while !r.isAtEnd {
            let code = try r.u8()
            guard let field = Field(rawValue: code), out.last.map({ $0.0.rawValue < code }) ?? true else {
                throw CodecError.malformed("a record's write sets name field \(code) out of order")
            }
            let length = try r.varint()
            guard length <= UInt64(r.remaining) else { throw CodecError.truncated(at: r.end) }
            out.append((field, r.offset..<r.offset + Int(length)))
            r.offset += Int(length)
        }
        return out
    }

    /// The row for `sets` (each field's `WriteSetCodec` bytes), in field order.
    static func encode(_ sets: [(field: Field, bytes: ArraySlice<UInt8>)]) -> [UInt8] {
        var w = BinaryWriter(capacity: sets.reduce(0) { $0 + $1.bytes.count + 3 })
        for set in sets.sorted(by: { $0.field.rawValue < $1.field.rawValue }) {
            w.u8(set.field.rawValue)
            w.varint(UInt64(set.bytes.count))
            w.raw(set.bytes)
        }
        return w.bytes
    }
}

extension Array where Element == FieldWrite {
    /// Marks as heads the writes that no valid write of the field names as replaced.
    mutating func markHeads() {
        // A field has few writes: looking through them costs less than building a set.
        if count <= 16 {
            for i in indices {
                let op = self[i].op
                self[i].head = !contains { $0.valid && $0.preds.contains(op) }
            }
            return
        }
        var replaced: Set<OpID> = []
        for w in self where w.valid { replaced.formUnion(w.preds) }
        for i in indices { self[i].head = !replaced.contains(self[i].op) }
    }
}

extension Replica {
    static let selectWriteSetsSQL = "SELECT writes FROM write_sets WHERE rid = ?"

    /// A record's row of `write_sets` (nil: it has none).
    func storedWriteSets(rid: Int64) throws -> [UInt8]? {
        try db.cached(Self.selectWriteSetsSQL).bind(.int(rid)).first { $0.blob(0) }
    }

    /// Every write of one field stored in `write_sets`, with heads marked (none: no writes).
    func storedWrites(rid: Int64, field: Field) throws -> [FieldWrite] {
        guard let bytes = try storedWriteSets(rid: rid) else { return [] }
        return try writeSets(bytes) { $0 == field }.first?.writes ?? []
    }

    /// Each field's writes in a `write_sets.writes` blob, heads marked, in field order.
    func writeSets(_ bytes: [UInt8], only wanted: ((Field) -> Bool)? = nil) throws -> [(field: Field, writes: [FieldWrite])] {
        do {
            return try RecordWriteSets.fields(bytes).compactMap { field, range in
                guard wanted?(field) ?? true else { return nil }
                var writes = try WriteSetCodec.decode(bytes, in: range) { originsByIdx[$0] }
                writes.markHeads()
                return (field, writes)
            }
        } catch {
            throw ReplicaError(.storage, "a stored write set is damaged (\(error))", hint: "run `sinkron verify`; restore a backup if it fails")
        }
    }
}
