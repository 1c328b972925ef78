import Crypto
import Foundation

/// A record as the applier sees it: its local number and, once created, its kind.
struct RecordRef {
    var rid: Int64
    var id: RecordID
    var kind: RecordKind?
    /// True only on the reference returned by the `recordRef` call that added the record to the
    /// `records` table: the operation being applied introduced it, so nothing else is stored for it.
    var new = false

    var hex: String { id.hex }
}

/// Changes to one kind-table row, gathered during a batch. Its column values live outside it,
/// in the applier's `pendingSlots` and `pendingBytes`, so that a row is small and fixed in size:
/// nothing is allocated per row or per value, and many rows fit in little memory.
struct PendingRow {
    var kind: RecordKind
    var id: RecordID
    /// Where this row's columns start in `pendingSlots` (one slot per column of `kind.fields`).
    var firstSlot: Int32
    /// Bit i: column i has a new value.
    var changed: UInt32 = 0
    var touched: Int64 = .min
}

/// What the applier knows of records and field writes, carried from one committed batch to the
/// next in this process (a sync session applies many batches) while no other connection has
/// written: SQLite's `data_version` says so.
struct MergeMemory {
    var records: [RecordID: RecordRef]
    var freshRecords: Set<Int64>
    var writes: [Int64: [FieldWrite]]
    var storedWriteSets: Set<Int64>
    var cachedWrites: Int
    var dataVersion: Int64 = 0
}

/// Folds verified operations into the log and the materialised tables, inside the caller's
/// transaction. Applying is idempotent at the caller (only operations beyond the origin's head
/// reach it) and order-independent: every table is a function of the set of operations.
struct Applier {
    let replica: Replica
    let db: Database
    let session: Int64?
    var conflictsFound = 0
    private(set) var applied: [OriginID: Int] = [:]
    private var touchedOrigins: Set<OriginID> = []
    /// The origin whose run is being applied: its info, and the seq, hash and count reached, kept
    /// here and written to `replica.origins` once per run (`flushHead`) instead of once per op.
    private var head: (info: OriginInfo, seq: UInt64, hash: SHA256Digest, count: Int)?
    var refold: Set<Int64> = []
    /// Records met in this batch, by id.
    private var records: [RecordID: RecordRef] = [:]
    /// Column values and `updated_at` raises not yet written to the kind tables.
    var pendingRows: [Int64: PendingRow] = [:]
    /// The rows' column values: per column, 0 for NULL, else the value's offset in
    /// `pendingBytes` << 32 | its length + 1.
    var pendingSlots: [UInt64] = []
    var pendingBytes: [UInt8] = []
    /// Revoked nodes: their operations beyond the kept ones are refused, and undone if held.
    private var revoked: [NodeID: Revocation]
    var revokedInBatch: Set<NodeID> = []
    /// True while the materialised tables are rebuilt from the log (no alerts, no new revocations).
    var rebuilding = false
    /// Every enrollment of every node, by node, in clock order: a node's role at an operation
    /// comes from them (`role(of:at:)`), never from what the node says of itself.
    var enrollments: [NodeID: [Enrollment]]
    /// The court root's key, read once: whose origins are the admin's.
    let courtRootKey: [UInt8]?
    /// Set when an enrollment arrives for a node whose operations are already folded (a node
    /// enrolled again, with another role): the tables are folded again in `finish`.
    var needsRebuild = false
    /// Operations refused in this batch because their node was revoked.
    private(set) var refusedRevoked = 0
    /// Records first seen in this batch: they have no field writes in SQLite but the ones cached.
    var freshRecords: Set<Int64> = []
    /// Every write of the fields touched in this batch (by `fieldKey`), so that each field is read
    /// from SQLite at most once per batch; `cachedWrites` counts them to bound memory.
    var writes: [Int64: [FieldWrite]] = [:]
    var cachedWrites = 0
    /// Fields (by `fieldKey`) whose cached writes changed since their row was last written.
    var dirtyWriteSets: Set<Int64> = []
    /// Cached fields that have a row in `write_sets` (the others are inserted, not upserted).
    var storedWriteSets: Set<Int64> = []
    /// Rows gathered into multi-row INSERTs: the log's, one per operation (flushed before the
    /// applier reads `ops` and at the end of each run), and new fields' write sets (see
    /// `flushWriteSets`).
    let opRows: RowBuffer
    let writeRows: RowBuffer
    let selectWrites: Statement
    let selectRecord: Statement
    let insertRecord: Statement
    /// One UPDATE per kind table that sets any subset of its columns (see `flushRows`).
    var rowUpdates: [RecordKind: Statement] = [:]

    init(replica: Replica, session: Int64?) throws {
        self.replica = replica
        self.db = replica.db
        self.session = session
        self.revoked = try replica.revocations()
        self.enrollments = try replica.enrollments()
        self.courtRootKey = replica.courtRoot.map(Replica.bytes(hex:))
        // Any applier takes the memory, so none can be used after a write it did not see; it is
        // handed back by `finish` and kept only once the transaction committed.
        replica.finishedMerge = nil
        if let memory = replica.mergeMemory.take(), memory.dataVersion == (try replica.dataVersion()) {
            records = memory.records
            freshRecords = memory.freshRecords
            writes = memory.writes
            storedWriteSets = memory.storedWriteSets
            cachedWrites = memory.cachedWrites
        }
        opRows = try RowBuffer(db, table: "ops", columns: ["origin_idx", "seq", "hlc", "body", "sig", "session", "flags"])
        writeRows = try RowBuffer(db, table: "write_sets", columns: ["rid", "field", "hlc", "writes"])
        selectWrites = try db.cached(Replica.selectWritesSQL)
        selectRecord = try db.cached("SELECT rid, kind FROM records WHERE id = ?")
        insertRecord = try db.cached("INSERT INTO records(id, kind, create_origin, create_seq) VALUES (?,?,?,?)")
    }

    static func fieldKey(_ rid: Int64, _ field: Field) -> Int64 { rid << 8 | Int64(field.rawValue) }

    /// Gathered column text written before more is gathered. The buffer is reserved at this
    /// size once it is first used, so that growing it never doubles it past the bound.
    static let pendingBytesLimit = 8 << 20

    /// True when a revocation refuses this operation of its origin.
    private func isRevoked(_ origin: OriginID, seq: UInt64, node: NodeID?) -> Bool {
        guard let node, let revocation = revoked[node] else { return false }
        return seq > (revocation.keep[origin] ?? 0)
    }

    // MARK: Log

    /// Appends one verified operation and folds it. `hash` is its chain hash.
    mutating func insert(_ op: Operation, payload: [UInt8], signature: [UInt8]?, hash: SHA256Digest, flags: Int64) throws {
        if case .genesis(let g) = op.body {
            if isRevoked(op.origin, seq: op.seq, node: g.node) {
                refusedRevoked += 1
                return
            }
            try insertOrigin(op.origin, genesis: g)
        }
        if let head, head.info.origin != op.origin { try flushHead() }
        guard let info = head?.info ?? replica.origins[op.origin] else {
            throw ReplicaError(.brokenChain, "operation \(op.id) arrived before its origin's genesis")
        }
        if isRevoked(op.origin, seq: op.seq, node: info.node) {
            // A revocation earlier in this batch: the origin's head stays where the admin cut it.
            refusedRevoked += 1
            return
        }
        opRows.put(.int(info.idx))
        opRows.put(.int(Int64(op.seq)))
        opRows.put(.int(Int64(op.hlc.raw)))
        opRows.put(.blob(payload))
        opRows.put(signature.map { .blob($0) } ?? .null)
        opRows.put(session.map { .int($0) } ?? .null)
        opRows.put(.int(flags))
        try opRows.endRow()
        head = (info, op.seq, hash, (head?.count ?? 0) + 1)
        try materialise(op, info: info)
        // Bound memory in long batches: write gathered rows, forget cached records and writes.
        if pendingRows.count >= 131_072 || pendingBytes.count >= Self.pendingBytesLimit { try flushRows() }
        if records.count >= 131_072 {
            try clearRecordCache()
        } else if cachedWrites >= 131_072 {
            try clearWriteCache()
        }
    }

    /// Writes the gathered log rows and changed write sets (before reading those tables).
    mutating func flushRowBuffers() throws {
        try opRows.flush()
        try flushWriteSets()
    }

    /// Writes the run's log rows and records in `replica.origins` how far its origin got.
    mutating func flushHead() throws {
        try opRows.flush()
        guard let head else { return }
        self.head = nil
        replica.origins[head.info.origin]?.maxSeq = head.seq
        replica.origins[head.info.origin]?.headHash = Array(head.hash)
        touchedOrigins.insert(head.info.origin)
        applied[head.info.origin, default: 0] += head.count
    }

    /// Writes origin heads and refolds the workflows touched by this batch.
    mutating func finish() throws {
        try flushHead()
        let rebuilt = !revokedInBatch.isEmpty ? try undoRevoked() : false
        if needsRebuild && !rebuilt {
            try replica.raiseAlert(kind: "re-enrolled", origin: nil, seq: nil, detail: "a node was enrolled again; its operations were folded again under the roles the admin enrolled")
            try rebuild()
        }
        needsRebuild = false
        try flushRows()
        let update = try db.cached("UPDATE origins SET max_seq = ?, head_hash = ? WHERE idx = ?")
        for origin in touchedOrigins {
            guard let info = replica.origins[origin] else { continue }
            try update.bind(.int(Int64(info.maxSeq)), .blob(info.headHash), .int(info.idx)).run()
        }
        touchedOrigins.removeAll()
        for rid in refold.sorted() { try foldWorkflow(rid) }
        refold.removeAll()
        // A rebuild (after a revocation) gathered rows again.
        try flushRowBuffers()
        replica.finishedMerge = MergeMemory(
            records: records, freshRecords: freshRecords, writes: writes, storedWriteSets: storedWriteSets, cachedWrites: cachedWrites)
    }

    private mutating func insertOrigin(_ origin: OriginID, genesis g: Genesis) throws {
        try db.cached("INSERT INTO origins(origin, node, public_key, name, role, court, predecessor, max_seq, head_hash) VALUES (?,?,?,?,?,?,?,0,?)")
            .bind(
                .blob(origin.bytes), .blob(g.node.bytes), .blob(g.publicKey), .text(g.name), .text(g.role.rawValue), .text(g.court),
                g.predecessor.map { .blob($0.bytes) } ?? .null, .blob(Chain.initialHash(origin: origin))
            ).run()
        let idx = db.lastInsertRowID
        replica.origins[origin] = OriginInfo(
            idx: idx, origin: origin, node: g.node, publicKey: g.publicKey, name: g.name, role: g.role, court: g.court, maxSeq: 0,
            headHash: Chain.initialHash(origin: origin), predecessor: g.predecessor)
        replica.originsByIdx[idx] = origin
    }

    // MARK: Records

    /// The record's local reference; an unknown record is added to `records` (with the kind and
    /// operation of `create`, when that create is what introduces it).
    mutating func recordRef(_ id: RecordID, creating create: (kind: RecordKind, originIdx: Int64, seq: UInt64)? = nil) throws -> RecordRef {
        if let ref = records[id] { return ref }
        let hex = id.hex
        selectRecord.reset()
        if let found = try selectRecord.bind(.text(hex)).first({ row in
            RecordRef(rid: row.int(0), id: id, kind: row.optionalText(1).flatMap(RecordKind.init(rawValue:)))
        }) {
            records[id] = found
            return found
        }
        insertRecord.reset()
        try insertRecord.bind(
            .text(hex), create.map { .text($0.kind.rawValue) } ?? .null, create.map { .int($0.originIdx) } ?? .null,
            create.map { .int(Int64($0.seq)) } ?? .null
        ).run()
        var ref = RecordRef(rid: db.lastInsertRowID, id: id, kind: nil)
        freshRecords.insert(ref.rid)
        records[id] = ref
        ref.new = true
        return ref
    }

    // MARK: Materialise

    mutating func clearRecordCache() throws {
        records.removeAll(keepingCapacity: true)
        try clearWriteCache()
    }

    /// Forgets cached writes; records first seen in this batch are then read back like any other.
    /// Changed write sets are written first, so a field read from SQLite is always whole.
    mutating func clearWriteCache() throws {
        try flushWriteSets()
        freshRecords.removeAll(keepingCapacity: true)
        writes.removeAll(keepingCapacity: true)
        storedWriteSets.removeAll(keepingCapacity: true)
        cachedWrites = 0
    }

    /// Refolds the workflow of every created record.
    mutating func refoldAll() throws {
        refold.removeAll()
        for rid in try db.prepare("SELECT rid FROM records WHERE kind IS NOT NULL ORDER BY rid").map({ $0.int(0) }) { try foldWorkflow(rid) }
    }

    /// Folds one operation into the tables.
    mutating func materialise(_ op: Operation, info: OriginInfo) throws {
        let originIdx = info.idx
        let ms = Int64(op.hlc.milliseconds)
        let node = info.name
        let author = op.author.isEmpty ? node : op.author
        switch op.body {
        case .genesis(let g):
            try db.cached("INSERT OR REPLACE INTO nodes(origin, node, name, role, court, predecessor, public_key) VALUES (?,?,?,?,?,?,?)")
                .bind(
                    .text(op.origin.hex), .text(g.node.hex), .text(g.name), .text(g.role.rawValue), .text(g.court),
                    .optional(g.predecessor?.hex), .text(g.publicKey.hex)
                ).run()
        case .create(let record, let kind, let sop, let fields):
            // A record this create introduces goes into `records` with the create already set.
            var ref = try recordRef(record, creating: (kind, originIdx, op.seq))
            var applyFields = true
            if let existingKind = ref.kind {
                try flushRowBuffers()
                // A second create of one id (forged, or random ids colliding): its writes are kept like
                // any others, and every replica keeps the create with the smaller (hlc, origin, seq).
                // The same create written by two nodes (a record whose id is derived, such as a
                // schedule's instance) is one record: no alert. Its writes are kept like any others
                // (so every replica holds the same write sets, whatever the order); writes of equal
                // values are no conflict.
                let same = try sameCreate(ref, kind: kind, sop: sop, fields: fields)
                // A bug report's or deletion request's letter drafted at two desks: one record,
                // whose differing fields are concurrent writes like any others.
                let derived = kind == .letter && fields.contains { $0.field == .forRecord && RecordID(hex: $0.value).map(Replica.letterID(for:)) == record }
                if !rebuilding && !same && !derived {
                    try replica.raiseAlert(kind: "duplicate-record", origin: op.origin, seq: op.seq, detail: "record \(ref.hex) was created twice; the earlier create counts")
                }
                for f in fields {
                    try applyFieldWrite(ref, field: f.field, op: op.id, originIdx: originIdx, role: role(of: info, at: op.hlc), hlc: op.hlc, value: f.value, preds: [])
                }
                guard
                    let current = try db.cached("SELECT o.hlc, r.create_origin, r.create_seq FROM records r JOIN ops o ON o.origin_idx = r.create_origin AND o.seq = r.create_seq WHERE r.rid = ?")
                        .bind(.int(ref.rid)).first({ (hlc: UInt64($0.int(0)), origin: replica.originsByIdx[$0.int(1)], seq: UInt64($0.int(2))) }),
                    let currentOrigin = current.origin, (op.hlc.raw, op.origin, op.seq) < (current.hlc, currentOrigin, current.seq)
                else {
                    try touch(ref, ms: ms)
                    return
                }
                pendingRows[ref.rid] = nil
                try db.cached("DELETE FROM \(existingKind.table) WHERE id = ?").bind(.text(ref.hex)).run()
                applyFields = false
            }
            ref.kind = kind
            records[ref.id] = RecordRef(rid: ref.rid, id: ref.id, kind: kind)
            if !ref.new {
                try db.cached("UPDATE records SET kind = ?, create_origin = ?, create_seq = ? WHERE rid = ?")
                    .bind(.text(kind.rawValue), .int(originIdx), .int(Int64(op.seq)), .int(ref.rid)).run()
            }
            // No definition held for the record's flow yet: it waits, unfolded (see `Database.flow`).
            let start = db.flow(sop)?.start
            // A record this very operation introduced has no archive, writes, steps or comments
            // yet (the usual case: the create comes first), so none of them is looked up.
            let archived = ref.new ? false : try db.cached("SELECT 1 FROM archives WHERE rid = ? LIMIT 1").bind(.int(ref.rid)).first { _ in true } ?? false
            try db.cached(
                "INSERT INTO \(kind.table)(id, sop, status, step, step_since, created_at, created_by, author, updated_at, archived) VALUES (?,?,?,?,?,?,?,?,?,?)"
            ).bind(
                .text(ref.hex), .text(sop), .text(archived ? "archived" : start == nil ? "waiting" : "open"),
                start.map { SQLValue.int(Int64($0)) } ?? .null, .int(ms), .int(ms), .text(node), .text(author), .int(ms), .int(archived ? 1 : 0)
            ).run()
            // A letter changes how its parent folds (the steps it covers are done through it).
            if kind == .letter, let parent = fields.first(where: { $0.field == .forRecord })?.value,
                let parentID = RecordID(hex: parent), Replica.letterID(for: parentID) == record,
                let rid = try db.cached("SELECT rid FROM records WHERE id = ? AND kind IS NOT NULL").bind(.text(parent)).first({ $0.int(0) })
            {
                refold.insert(rid)
            }
            // Writes that arrived before the create (relayed out of order) may already replace its values.
            if !ref.new { try flushRowBuffers() }
            let earlier = ref.new ? [] : try db.cached("SELECT field FROM write_sets WHERE rid = ?").bind(.int(ref.rid)).map { Int($0.int(0)) }
            for f in fields where applyFields {
                try applyFieldWrite(ref, field: f.field, op: op.id, originIdx: originIdx, role: role(of: info, at: op.hlc), hlc: op.hlc, value: f.value, preds: [])
            }
            if ref.new { return }
            for code in earlier {
                guard let field = Field(rawValue: UInt8(code)) else { continue }
                try refreshColumn(ref, field: field)
            }
            try flushRowBuffers()
            let latest = try db.cached(
                """
                SELECT max(m) FROM (
                    SELECT max(hlc) AS m FROM write_sets WHERE rid = ?1
                    UNION ALL SELECT max(hlc) FROM steps WHERE record = ?2
                    UNION ALL SELECT max(hlc) FROM comments WHERE record = ?2
                    UNION ALL SELECT max(hlc) FROM archives WHERE rid = ?1)
                """
            ).bind(.int(ref.rid), .text(ref.hex)).first { $0.optionalInt(0) } ?? nil
            if let latest { try touch(ref, ms: Int64(UInt64(latest) >> 16)) }
            // The row was inserted at the SOP's first step; only step events that came before the
            // create (relayed out of order) can move it, so only then is the workflow folded.
            if try db.cached("SELECT 1 FROM steps WHERE record = ? LIMIT 1").bind(.text(ref.hex)).first({ _ in true }) ?? false {
                refold.insert(ref.rid)
            }
        case .set(let record, let field, let value, let replaces):
            let ref = try recordRef(record)
            try applyFieldWrite(ref, field: field, op: op.id, originIdx: originIdx, role: role(of: info, at: op.hlc), hlc: op.hlc, value: value, preds: replaces)
            try touch(ref, ms: ms)
        case .step(let record, let step, let branch, let note):
            let ref = try recordRef(record)
            try db.cached(
                "INSERT INTO steps(record, origin, seq, hlc, step, branch, note, node, role, author, status) VALUES (?,?,?,?,?,?,?,?,?,?,'pending')"
            ).bind(
                .text(ref.hex), .text(op.origin.hex), .int(Int64(op.seq)), .int(Int64(op.hlc.raw)), .int(Int64(step)),
                .optional(branch?.rawValue), .text(note), .text(node), .text(role(of: info, at: op.hlc).rawValue), .text(author)
            ).run()
            refold.insert(ref.rid)
            try touch(ref, ms: ms)
        case .comment(let record, let text):
            let ref = try recordRef(record)
            try db.cached("INSERT INTO comments(record, origin, seq, hlc, node, author, text) VALUES (?,?,?,?,?,?,?)")
                .bind(.text(ref.hex), .text(op.origin.hex), .int(Int64(op.seq)), .int(Int64(op.hlc.raw)), .text(node), .text(author), .text(text))
                .run()
            try touch(ref, ms: ms)
        case .enroll(let m):
            guard replica.isCourtAdmin(info) else {
                if rebuilding { return }
                try replica.raiseAlert(kind: "refused-enroll", origin: op.origin, seq: op.seq, detail: "\(node) is not the court admin; its enrollment of \(m.name) is ignored")
                return
            }
            try db.cached(
                """
                INSERT INTO members(node, public_key, name, role, enrolled_by, enrolled_hlc) VALUES (?,?,?,?,?,?)
                ON CONFLICT(node) DO UPDATE SET public_key = excluded.public_key, name = excluded.name, role = excluded.role,
                    enrolled_by = excluded.enrolled_by, enrolled_hlc = excluded.enrolled_hlc
                WHERE (excluded.enrolled_hlc, excluded.enrolled_by) > (members.enrolled_hlc, members.enrolled_by)
                """
            ).bind(.text(m.node.hex), .text(m.publicKey.hex), .text(m.name), .text(m.role.rawValue), .text("\(op.origin.hex):\(op.seq)"), .int(Int64(op.hlc.raw)))
                .run()
            try db.cached("INSERT OR IGNORE INTO enrollments(node, public_key, role, name, hlc, enrolled_by) VALUES (?,?,?,?,?,?)")
                .bind(.text(m.node.hex), .text(m.publicKey.hex), .text(m.role.rawValue), .text(m.name), .int(Int64(op.hlc.raw)), .text("\(op.origin.hex):\(op.seq)"))
                .run()
            let enrollment = Enrollment(hlc: op.hlc, by: op.id, publicKey: m.publicKey, role: m.role, name: m.name)
            if !enrollments[m.node, default: []].contains(enrollment) {
                enrollments[m.node, default: []].append(enrollment)
                enrollments[m.node]!.sort()
                // Operations of this node already folded were judged under its earlier enrollments.
                if !rebuilding && replica.origins.values.contains(where: { $0.node == m.node && !replica.isCourtAdmin($0) }) { needsRebuild = true }
            }
        case .revoke(let target, let keep):
            guard replica.isCourtAdmin(info) else {
                if rebuilding { return }
                try replica.raiseAlert(kind: "refused-revoke", origin: op.origin, seq: op.seq, detail: "\(node) is not the court admin; its revocation of \(target.short) is ignored")
                return
            }
            let keepText = keep.sorted().map { "\($0.origin.hex):\($0.seq)" }.joined(separator: ",")
            try db.cached(
                """
                INSERT INTO revocations(node, revoked_by, revoked_hlc, keep) VALUES (?,?,?,?)
                ON CONFLICT(node) DO UPDATE SET revoked_by = excluded.revoked_by, revoked_hlc = excluded.revoked_hlc, keep = excluded.keep
                WHERE (excluded.revoked_hlc, excluded.revoked_by) < (revocations.revoked_hlc, revocations.revoked_by)
                """
            ).bind(.text(target.hex), .text("\(op.origin.hex):\(op.seq)"), .int(Int64(op.hlc.raw)), .text(keepText)).run()
            if !rebuilding, let effective = try replica.revocations()[target] {
                revoked[target] = effective
                revokedInBatch.insert(target)
            }
        case .flow(let revision):
            try materialiseFlow(revision, op: op, info: info)
        case .setting(let setting):
            try materialiseSetting(setting, op: op, info: info)
        case .archive(let record):
            let ref = try recordRef(record)
            try db.cached("INSERT INTO archives(rid, origin_idx, seq, hlc) VALUES (?,?,?,?)")
                .bind(.int(ref.rid), .int(originIdx), .int(Int64(op.seq)), .int(Int64(op.hlc.raw))).run()
            if let kind = ref.kind {
                try db.cached("UPDATE \(kind.table) SET archived = 1, status = 'archived' WHERE id = ?").bind(.text(ref.hex)).run()
            }
            try touch(ref, ms: ms)
        }
    }

    /// True when the create that counts for `ref` has this kind, flow and fields.
    private func sameCreate(_ ref: RecordRef, kind: RecordKind, sop: String, fields: [FieldValue]) throws -> Bool {
        guard
            let stored = try db.cached("SELECT r.create_origin, r.create_seq, o.hlc, o.body FROM records r JOIN ops o ON o.origin_idx = r.create_origin AND o.seq = r.create_seq WHERE r.rid = ?")
                .bind(.int(ref.rid)).first({ (idx: $0.int(0), seq: UInt64($0.int(1)), hlc: UInt64($0.int(2)), body: $0.blob(3)) }),
            let origin = replica.originsByIdx[stored.idx],
            case .create(_, let k, let s, let f) = try Operation.decode(origin: origin, seq: stored.seq, hlc: HLC(raw: stored.hlc), payload: stored.body).body
        else { return false }
        return k == kind && s == sop && f == fields
    }

    /// Raises the record's `updated_at` to `ms` (a max, so the order of arrival does not matter).
    private mutating func touch(_ ref: RecordRef, ms: Int64) throws {
        guard let kind = ref.kind else { return }
        let i = pendingIndex(ref, kind: kind)
        pendingRows.values[i].touched.raise(to: ms)
    }

    /// The gathered row of `ref`, added (with its column slots) if it has none yet.
    mutating func pendingIndex(_ ref: RecordRef, kind: RecordKind) -> Dictionary<Int64, PendingRow>.Index {
        if let i = pendingRows.index(forKey: ref.rid) { return i }
        pendingRows[ref.rid] = PendingRow(kind: kind, id: ref.id, firstSlot: Int32(pendingSlots.count))
        pendingSlots.append(contentsOf: repeatElement(0, count: kind.fields.count))
        return pendingRows.index(forKey: ref.rid)!
    }

    /// Forgets the gathered rows (written, or about to be folded again).
    mutating func clearPendingRows() {
        pendingRows.removeAll(keepingCapacity: true)
        pendingSlots.removeAll(keepingCapacity: true)
        pendingBytes.removeAll(keepingCapacity: true)
    }

    /// Writes the column changes and `updated_at` raises gathered in this batch: one UPDATE per
    /// record instead of one per operation, through one held statement per kind table:
    /// `SET c = CASE WHEN ?1 & bit THEN ? ELSE c END, …, updated_at = max(updated_at, ?)`.
    mutating func flushRows() throws {
        // In each table's key order (the hex id sorts like its two big-endian halves): the
        // UPDATEs then walk the B-tree's pages once, in order, instead of jumping between them;
        // this matters once the table outgrows SQLite's page cache (a 1M-operation merge).
        let ordered = pendingRows.values.sorted { a, b in
            a.kind == b.kind ? (a.id.high, a.id.low) < (b.id.high, b.id.low) : a.kind.rawValue < b.kind.rawValue
        }
        for kind in Set(ordered.map(\.kind)) { _ = try rowUpdate(kind) }
        let updates = rowUpdates, slots = pendingSlots, bytes = pendingBytes
        // Nothing may keep pointing into the buffer once it is reused, even after an error.
        defer { for statement in updates.values { statement.reset() } }
        try bytes.withUnsafeBytes { raw in
            for row in ordered {
                guard let statement = updates[row.kind] else { continue }
                statement.resetKeepingBindings()
                statement.bind(int: Int64(row.changed), at: 1)
                let columns = row.kind.fields.count
                for i in 0..<columns {
                    let slot = slots[Int(row.firstSlot) + i]
                    if slot == 0 {
                        statement.bind(.null, at: Int32(i + 2))
                    } else {
                        let offset = Int(slot >> 32)
                        let length = Int(slot & 0xFFFF_FFFF) - 1
                        statement.bind(uncopiedText: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]), at: Int32(i + 2))
                    }
                }
                statement.bind(int: row.touched, at: Int32(columns + 2))
                statement.bind(text: row.id.hex, at: Int32(columns + 3))
                try statement.run()
            }
        }
        clearPendingRows()
    }

    private mutating func rowUpdate(_ kind: RecordKind) throws -> Statement {
        if let held = rowUpdates[kind] { return held }
        let sets = kind.fields.enumerated().map { i, field in "\(field.name) = CASE WHEN ?1 & \(1 << i) THEN ?\(i + 2) ELSE \(field.name) END" }
        let n = kind.fields.count + 2
        let statement = try db.prepare(
            "UPDATE \(kind.table) SET \(sets.joined(separator: ", ")), updated_at = max(updated_at, ?\(n)) WHERE id = ?\(n + 1)")
        rowUpdates[kind] = statement
        return statement
    }
}

extension Int64 {
    mutating func raise(to value: Int64) { if value > self { self = value } }
}

extension [UInt8] {
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Replica {
    /// SQLite's count of commits by other connections: unchanged means nothing else wrote.
    func dataVersion() throws -> Int64 {
        try db.cached("PRAGMA data_version").first { $0.int(0) } ?? 0
    }

    /// Keeps what the last applier knew, now that its transaction committed.
    func keepMergeMemory() throws {
        guard var memory = finishedMerge.take() else { return }
        memory.dataVersion = try dataVersion()
        mergeMemory = memory
    }
}
