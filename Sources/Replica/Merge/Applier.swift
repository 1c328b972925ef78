import Crypto
import Foundation

/// Appends verified operations to the log and merges them into the materialised tables, inside
/// the caller's transaction. Applying is idempotent at the caller (only operations beyond the
/// origin's head reach it) and order-independent: every table is a function of the set of
/// operations.
///
/// Appended operations wait in a `MergeQueue` until their segment of the batch ends: after an
/// enroll, revoke or flow operation (admission, roles and new records' first steps in the rest of
/// the batch depend on it), or at the end of the batch. (When the queue holds `queueBytes`, it
/// spills a sorted run to disk.) The queue then hands them over in record order, in chunks of
/// about `chunkOperations` operations (`MergeLimits`), and each chunk is merged in three stages:
/// 1. `MergePrefetch` reads into the batch's `MergeState` every record, write set and value the
///    chunk touches that the state does not hold yet, in key order;
/// 2. `MergeExecute` folds the operations into that state: a pure function, no SQL;
/// 3. `MergeCommit` writes what only ever is added (conflicts, steps, membership…) at once, and
///    the records' rows and write sets from their final state (`commitRecords`). A record's
///    operations of one segment are all in one chunk, so each record is read and written once
///    per segment, in key order. No stage reads what another has not written: a record with
///    unwritten changes is in the state, and prefetch reads only what the state lacks.
/// Then, once per batch, `WorkflowStage` folds the workflows of the records whose step events,
/// flow or letter changed.
///
/// A sync session's batches defer the merge (`deferring`): their queue is not drained at the end
/// of the batch but handed to the next batch (`Replica.pendingMerge`), and the table `unmerged`
/// says from which seq on each origin's operations are in the log but not in the tables. The
/// session merges them once, when it ends (`Replica.mergeUnmerged`), so a large sync sweeps each
/// record once rather than once per batch; any other write merges them first
/// (`Replica.beginWrite`). The queue in memory only saves reading them back from the log: the
/// table, and a token written with it, say whether it still holds exactly what is unmerged (not
/// after a failed batch, a crash, or another process's merge). An enroll, revoke or flow
/// operation still ends a segment: everything queued merges then, as without deferral.
struct Applier {
    let replica: Replica
    let db: Database
    let session: Int64?
    private(set) var conflictsFound = 0
    private(set) var applied: [OriginID: Int] = [:]
    private var touchedOrigins: Set<OriginID> = []
    /// The origin whose run is being appended: its info, and the seq, hash and count reached, kept
    /// here and written to `replica.origins` once per run (`flushHead`) instead of once per op.
    /// (The origin is held as the merge queue's `MergeOrigin`: one reference for all its operations.)
    private var head: (source: MergeOrigin, seq: UInt64, hash: SHA256Digest, count: Int)?
    /// Revoked nodes: their operations beyond the kept ones are refused, and undone if held.
    private var revoked: [NodeID: Revocation]
    var revokedInBatch: Set<NodeID> = []
    /// True while the materialised tables are rebuilt from the log (no alerts, no new revocations).
    private(set) var rebuilding = false
    /// What the merge knows: records changed in this batch, enrollments, revocations.
    private var state: MergeState
    /// Every enrollment of every node, by node, in clock order: a node's role at an operation
    /// comes from them, never from what the node says of itself. They only grow.
    var enrollments: [NodeID: [Enrollment]] { state.enrollments }
    /// The court root's key, read once: whose origins are the admin's.
    let courtRootKey: [UInt8]?
    /// Set when an enrollment arrives for a node whose operations are already folded (a node
    /// enrolled again, with another role): the tables are folded again in `finish`.
    private var needsRebuild = false
    /// Operations refused in this batch because their node was revoked.
    private(set) var refusedRevoked = 0
    /// The operations appended but not merged yet.
    private var queue = MergeQueue()
    /// The queue is left unmerged at the end of the batch, for the session's end (see above).
    let deferring: Bool
    /// The queue holds operations that `unmerged` lists: merging it clears the table.
    private var holdsUnmerged = false
    /// Deferring: per origin (idx), the first seq queued by this batch, for `unmerged`.
    private var deferredFrom: [Int64: UInt64] = [:]
    /// Records whose workflow is folded at the end of the batch, and flows whose records are.
    private var refold: Set<Int64> = []
    private var refoldFlows: Set<String> = []
    private var refoldEverything = false
    /// The log's appends, gathered; written before each segment is merged (the merge reads
    /// earlier writes' values from the log) and at the end of each run (the next run's checks
    /// read the origin's head).
    let log: LogWriter
    let commit: MergeCommit

    init(replica: Replica, session: Int64?, deferring: Bool = false) throws {
        self.replica = replica
        self.db = replica.db
        self.session = session
        self.deferring = deferring
        self.revoked = try replica.revocations()
        self.courtRootKey = replica.courtRoot.map(Replica.bytes(hex:))
        self.state = MergeState(enrollments: try replica.enrollments(), courtRootKey: courtRootKey)
        log = try LogWriter(db, perRun: replica.mergeLimits.logRun)
        commit = try MergeCommit(replica: replica)
        if deferring { try queueUnmerged() }
    }

    /// How many enrollments the applier knows: when it grows, held origins may be admitted.
    var enrollmentCount: Int { enrollments.values.reduce(0) { $0 + $1.count } }

    /// True when a revocation refuses this operation of its origin.
    private func isRevoked(_ origin: OriginID, seq: UInt64, node: NodeID?) -> Bool {
        guard let node, let revocation = revoked[node] else { return false }
        return seq > (revocation.keep[origin] ?? 0)
    }

    // MARK: Log

    /// Appends one verified operation and queues it for the merge. `hash` is its chain hash.
    mutating func insert(_ op: Operation, payload: [UInt8], signature: [UInt8]?, hash: SHA256Digest, flags: Int64) throws {
        if case .genesis(let g) = op.body {
            if isRevoked(op.origin, seq: op.seq, node: g.node) {
                refusedRevoked += 1
                return
            }
            try insertOrigin(op.origin, genesis: g)
        }
        if head?.source.info.origin != op.origin {
            try flushHead()
            guard let info = replica.origins[op.origin] else {
                throw ReplicaError(.brokenChain, "operation \(op.id) arrived before its origin's genesis")
            }
            // Nothing appended yet (count 0): `flushHead` leaves the origin as it is.
            head = (MergeOrigin(info), 0, hash, 0)
        }
        let source = head!.source
        if isRevoked(op.origin, seq: op.seq, node: source.info.node) {
            // A revocation earlier in this batch: the origin's head stays where the admin cut it.
            refusedRevoked += 1
            return
        }
        try log.append(origin: source.info.idx, LogEntry(seq: op.seq, hlc: op.hlc.raw, body: payload, signature: signature, session: session, flags: flags))
        head!.seq = op.seq
        head!.hash = hash
        head!.count += 1
        try enqueue(op, payload: payload, origin: source)
    }

    /// Writes the run's log rows and records in `replica.origins` how far its origin got. With
    /// `waiting` false, packed runs still being encoded are left to the encoder (`LogWriter`):
    /// the log may then be read only after `settleLog`.
    mutating func flushHead(waiting: Bool = true) throws {
        try log.flush(waiting: waiting)
        guard let head else { return }
        self.head = nil
        guard head.count > 0 else { return }
        let origin = head.source.info.origin
        replica.origins[origin]?.maxSeq = head.seq
        replica.origins[origin]?.headHash = Array(head.hash)
        touchedOrigins.insert(origin)
        applied[origin, default: 0] += head.count
    }

    /// Writes every log row still being encoded: the log can be read.
    func settleLog() throws { try log.flush() }

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

    // MARK: Merge

    /// Whether the rest of a batch depends on this operation being merged (admission, roles, new
    /// records' first steps).
    private static func endsSegment(_ op: Operation) -> Bool {
        switch op.body {
        case .enroll, .revoke, .flow: true
        default: false
        }
    }

    private mutating func enqueue(_ op: Operation, payload: [UInt8], origin: MergeOrigin) throws {
        try queueForMerge(op, payload: payload, origin: origin)
        if deferring {
            holdsUnmerged = true
            if deferredFrom[origin.info.idx] == nil { deferredFrom[origin.info.idx] = op.seq }
        }
        if Self.endsSegment(op) { try mergeQueue() }
    }

    private mutating func queueForMerge(_ op: Operation, payload: [UInt8], origin: MergeOrigin) throws {
        queue.append(op, payload: payload, origin: origin, reserving: replica.mergeLimits.queueBytes)
        if queue.footprint >= replica.mergeLimits.queueBytes { try queue.spillRun(in: replica.home) }
    }

    /// Queues (into an empty queue) the operations that `unmerged` lists: the queue an earlier
    /// batch of this replica left, when the token says it is still exactly those; else read back
    /// from the log, origin by origin.
    mutating func queueUnmerged() throws {
        let pending = replica.pendingMerge
        replica.pendingMerge = nil
        guard try replica.hasUnmerged() else { return }
        holdsUnmerged = true
        if let pending, try replica.unmergedToken() == pending.token {
            queue = pending.queue
            return
        }
        let ranges = try db.cached("SELECT origin_idx, from_seq FROM unmerged ORDER BY origin_idx").map { ($0.int(0), $0.int(1)) }
        for (idx, from) in ranges {
            guard let origin = replica.originsByIdx[idx], let info = replica.origins[origin] else { continue }
            let source = MergeOrigin(info)
            for entry in try LogReader(db).entries(origin: idx, from: UInt64(from)) {
                let op = try Operation.decode(origin: origin, seq: entry.seq, hlc: HLC(raw: entry.hlc), payload: entry.body)
                try queueForMerge(op, payload: entry.body, origin: source)
            }
        }
    }

    /// Merges the queued operations, chunk by chunk in record order, and writes the records.
    private mutating func mergeQueue() throws {
        guard !queue.isEmpty else { return }
        // The chunks' values, and those of every earlier write, are read from the log.
        try log.flush()
        var segment = queue
        queue = MergeQueue()
        try segment.drain(chunkLimit: replica.mergeLimits.chunkOperations, threadFrom: replica.mergeLimits.threadedDrain) { chunk in
            try mergeChunk(chunk)
            // The segment has no more operations for these records.
            try commitRecords()
        }
        if holdsUnmerged {
            try db.cached("DELETE FROM unmerged").run()
            deferredFrom.removeAll()
            holdsUnmerged = false
        }
    }

    /// Merges one chunk: prefetch, execute, commit.
    private mutating func mergeChunk(_ chunk: [MergeOp]) throws {
        state.rebuilding = rebuilding
        try MergePrefetch(replica: replica).load(chunk, into: &state)
        let changes = MergeExecute.run(chunk, state: &state)
        try commit.write(changes)
        conflictsFound += changes.conflictsFound
        refold.formUnion(changes.refold)
        refoldFlows.formUnion(changes.refoldFlows)
        for (node, revocation) in changes.revoked {
            revoked[node] = revocation
            revokedInBatch.insert(node)
        }
        if changes.needsRebuild { needsRebuild = true }
    }

    /// Writes the rows and write sets of the records changed since the last call.
    private mutating func commitRecords() throws {
        try commit.writeRecords(MergeExecute.takeRecordChanges(&state))
    }

    /// Merges what is queued, undoes what a revocation refused, writes origin heads and folds the
    /// workflows this batch touched.
    mutating func finish() throws {
        try flushHead()
        if !deferring { try mergeQueue() }
        let rebuilt = !revokedInBatch.isEmpty ? try undoRevoked() : false
        if needsRebuild && !rebuilt {
            try replica.raiseAlert(kind: "re-enrolled", origin: nil, seq: nil, detail: "a node was enrolled again; its operations were folded again under the roles the admin enrolled")
            try rebuild()
        }
        needsRebuild = false
        let update = try db.cached("UPDATE origins SET max_seq = ?, head_hash = ? WHERE idx = ?")
        for origin in touchedOrigins {
            guard let info = replica.origins[origin] else { continue }
            try update.bind(.int(Int64(info.maxSeq)), .blob(info.headHash), .int(info.idx)).run()
        }
        touchedOrigins.removeAll()
        let stage = WorkflowStage(replica: replica)
        if refoldEverything {
            try stage.foldEverything()
        } else {
            try stage.fold(refold.union(stage.records(following: refoldFlows)))
        }
        refold.removeAll()
        refoldFlows.removeAll()
        refoldEverything = false
        if deferring && !queue.isEmpty {
            // Left for the session's end (or the next write): listed, and handed on with a new token.
            let note = try db.cached("INSERT INTO unmerged(origin_idx, from_seq) VALUES (?, ?) ON CONFLICT(origin_idx) DO UPDATE SET from_seq = min(from_seq, excluded.from_seq)")
            for (idx, from) in deferredFrom.sorted(by: { $0.key < $1.key }) { try note.bind(.int(idx), .int(Int64(from))).run() }
            deferredFrom.removeAll()
            replica.pendingMerge = PendingMerge(queue: queue, token: try replica.newUnmergedToken())
            queue = MergeQueue()
        }
    }

    /// Folds every table again from the operation log (the fold is order-independent), through
    /// the same three stages; the workflows are folded in `finish`.
    mutating func rebuild() throws {
        rebuilding = true
        defer { rebuilding = false }
        try mergeQueue()
        for table in Self.foldedTables { try db.execute("DELETE FROM \(table)") }
        // SQLite lets one connection read the log while it writes the folded tables.
        for idx in replica.originsByIdx.keys.sorted() {
            guard let origin = replica.originsByIdx[idx], let info = replica.origins[origin] else { continue }
            let source = MergeOrigin(info)
            try LogReader(db).scan(origin: idx) { entry in
                let op = try Operation.decode(origin: origin, seq: entry.seq, hlc: HLC(raw: entry.hlc), payload: entry.body)
                try queueForMerge(op, payload: entry.body, origin: source)
                if Self.endsSegment(op) { try mergeQueue() }
                return true
            }
        }
        try mergeQueue()
        refoldEverything = true
    }
}

/// A deferring batch's queue, handed to the next batch (or the session's merge) of this replica;
/// valid while `meta.unmerged_token` still holds `token`.
struct PendingMerge {
    var queue: MergeQueue
    var token: Int64
}

/// The bounds of a merge's pieces.
package struct MergeLimits {
    /// The queue's bound in memory, in bytes (about 100 per queued operation, payload included):
    /// beyond it, the queue writes a sorted run to its spill file. 16 MiB keeps a 100K batch in
    /// memory, and leaves room under a 1M import's 100 MB for the drain's second thread (glibc
    /// gives it its own arena, which holds its chunks and the runs' read buffers).
    var queueBytes = 16 << 20
    /// Operations per chunk, held decoded while it is merged, with their records' state.
    var chunkOperations = 2048
    /// Operations per packed run of the log (`OperationLog`).
    var logRun = OperationLog.operationsPerRun
    /// From this many queued operations on, a second thread prepares the chunks (`MergeQueue.drain`).
    var threadedDrain = 8192

    init(queueBytes: Int = 16 << 20, chunkOperations: Int = 2048, logRun: Int = OperationLog.operationsPerRun, threadedDrain: Int = 8192) {
        self.queueBytes = queueBytes
        self.chunkOperations = chunkOperations
        self.logRun = logRun
        self.threadedDrain = threadedDrain
    }

    /// Small bounds, for simulations: with small runs a log of a few dozen operations is packed,
    /// repacked and cut; with a small `threadedDrain` a segment of a few operations is handed
    /// over by the drain's second thread. Nil keeps the default.
    package static func small(logRun: Int? = nil, threadedDrain: Int? = nil) -> MergeLimits {
        var limits = MergeLimits()
        if let logRun { limits.logRun = logRun }
        if let threadedDrain { limits.threadedDrain = threadedDrain }
        return limits
    }
}

extension Int64 {
    mutating func raise(to value: Int64) { if value > self { self = value } }
}

extension [UInt8] {
    package var hex: String {
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
