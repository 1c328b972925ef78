import Crypto
import Foundation

/// What applying a batch of remote operations did.
public struct ApplyReport: Sendable, Equatable, Codable {
    /// Operations newly applied, per origin (hex).
    public var applied: [String: Int] = [:]
    /// Operations this replica already held.
    public var duplicates = 0
    /// Concurrent-write conflicts found while applying.
    public var conflicts = 0
    /// Operations whose clock was far ahead of this PC's clock: kept, but flagged.
    public var clockAhead = 0
    /// Runs that start beyond this replica's head of their origin (an earlier bundle is missing).
    public var gaps: [String] = []
    /// Runs refused because they fork an origin log this replica already holds.
    public var forks: [String] = []
    /// Operations refused because the court admin revoked their node.
    public var revoked: [String] = []
    /// Operations held back because their origin is not a member of the court (see
    /// `Replica+Admission`): per origin (hex), how many and why. Applied if an enrollment of
    /// their node arrives later; never in the tables, the vector or what this replica relays.
    public var held: [String: HeldCount] = [:]
    /// Held operations that an enrollment in this batch admitted, now applied.
    public var admitted = 0

    public struct HeldCount: Sendable, Equatable, Codable {
        public var name: String
        public var operations: Int
        public var reason: String
    }

    public init() {}

    public var appliedTotal: Int { applied.values.reduce(0, +) }
    public var heldTotal: Int { held.values.reduce(0) { $0 + $1.operations } }

    /// One line per held origin, for a person.
    public var heldLines: [String] {
        held.sorted { $0.key < $1.key }.map { "held \($0.value.operations) operations of origin \($0.key.prefix(8)) (\($0.value.name)): \($0.value.reason)" }
    }
}

/// Flag bits stored with each operation in the log (local facts, not replicated).
public enum OperationFlags {
    /// Its clock was more than `HybridClock.maxDrift` ahead of ours when it arrived.
    public static let clockAhead: Int64 = 1
}

extension Replica {
    /// Verifies and applies remote runs in one transaction.
    ///
    /// Idempotent and order-independent: operations already held are skipped, runs that do not
    /// reach back to this replica's head are reported as gaps and skipped. A run that differs
    /// from operations already held is a fork: refused, kept out, and raised as an alert. A
    /// malformed payload, a broken chain or a bad signature refuses the whole batch: nothing changes.
    ///
    /// With `deferMerge` (a sync session's batches), the operations go to the log but not yet into
    /// the tables: the session merges them once when it ends (`mergeUnmerged`), instead of
    /// sweeping the records a batch touches once per batch; the report's conflicts are then
    /// counted by that merge.
    @discardableResult
    public func apply(_ runs: [OperationRun], session: Int64? = nil, deferMerge: Bool = false) throws -> ApplyReport {
        try applyStream(session: session, deferMerge: deferMerge) { consume in
            for run in runs { try consume(run) }
        }
    }

    /// Like `apply`, for runs produced one at a time (a bundle read from disk): each run is
    /// verified and applied as it comes, so memory stays flat however large the batch; all of it
    /// is still one transaction, refused whole if any run is forged or malformed.
    @discardableResult
    public func applyStream(session: Int64? = nil, deferMerge: Bool = false, _ produce: ((OperationRun) throws -> Void) throws -> Void) throws -> ApplyReport {
        // Operations are applied before their run's signature is checked (see `verify`): a
        // refused batch must not leave its clock readings behind either.
        let clockBefore = clock
        let report = try storage {
            try db.transaction {
                try beginWrite(mergingUnmerged: !deferMerge)
                var report = ApplyReport()
                var state = BatchState(nodeOf: origins.mapValues(\.node))
                var applier = try Applier(replica: self, session: session, deferring: deferMerge)
                var clockAhead = 0
                func consume(_ run: OperationRun) throws {
                    // Checking a run that overlaps what is held reads the log, which may be this
                    // batch's, still being encoded. (A run that does not overlap reads at most
                    // the operation before it, and only when no run of its origin came earlier in
                    // the batch: then nothing of that origin is being encoded.)
                    if let known = origins[run.origin], run.firstSeq <= known.maxSeq { try applier.settleLog() }
                    try verify(run, state: &state, report: &report, enrollments: applier.enrollments) { op, entry, hash in
                        var flags: Int64 = 0
                        if !clock.observe(op.hlc) {
                            flags |= OperationFlags.clockAhead
                            clockAhead += 1
                        }
                        try applier.insert(op, payload: entry.payload, signature: entry.signature, hash: hash, flags: flags)
                    }
                    // The next run's checks read this origin's head (`replica.origins`).
                    try applier.flushHead(waiting: false)
                }
                let enrollmentsBefore = applier.enrollmentCount
                try produce(consume)
                // Enrollments this batch brought may admit origins held until now.
                for run in applier.enrollmentCount == enrollmentsBefore ? [] : try admittedHeldRuns(enrollments: applier.enrollments) {
                    report.admitted += run.entries.count
                    report.held[run.origin.hex] = nil
                    try consume(run)
                }
                report.clockAhead += clockAhead
                try applier.finish()
                try saveClock()
                for (origin, count) in applier.applied { report.applied[origin.hex] = count }
                report.conflicts = applier.conflictsFound
                if applier.refusedRevoked > 0 {
                    report.revoked.append("refused \(applier.refusedRevoked) operations of a node revoked earlier in this batch")
                }
                if report.clockAhead > 0 {
                    try raiseAlert(kind: "clock-ahead", origin: nil, seq: nil, detail: "\(report.clockAhead) operations arrived with a clock more than 5 minutes ahead of this PC; kept and flagged")
                }
                return report
            }
        } onError: {
            clock = clockBefore
        }
        return report
    }

    /// What verification carries from one run of a batch to the next.
    struct BatchState {
        var forked: Set<OriginID> = []
        var nodeOf: [OriginID: NodeID]
        /// The clock of each origin's last operation checked in this batch (the rows may still
        /// wait in the applier's buffers).
        var lastClock: [OriginID: HLC] = [:]
    }

    /// The clock of a stored operation (applied, or held), nil when it is not there.
    private func storedClock(of origin: OriginID, at seq: UInt64, held: Bool) throws -> HLC? {
        if held {
            return try db.cached("SELECT hlc FROM held_ops WHERE origin = ? AND seq = ?").bind(.blob(origin.bytes), .int(Int64(seq))).first { HLC(raw: UInt64($0.int(0))) }
        }
        guard let idx = origins[origin]?.idx else { return nil }
        var log = LogReader(db)
        return try log.entry(origin: idx, seq: seq).map { HLC(raw: $0.hlc) }
    }

    /// What import says of a log that `ChainWalk` refused: the batch is refused whole.
    private func importRefusal(_ problem: ChainWalk.Problem, origin: OriginID) -> ReplicaError {
        let nothing = "nothing was imported"
        return switch problem {
        case .malformed(let seq, let reason):
            ReplicaError(.badBundle, "operation \(origin.short):\(seq) is malformed: \(reason)", hint: "the data is damaged; \(nothing)")
        case .noGenesis: ReplicaError(.brokenChain, "origin \(origin.short) does not start with its genesis operation", hint: nothing)
        case .restarted(let seq): ReplicaError(.brokenChain, "operation \(origin.short):\(seq) restarts its origin", hint: nothing)
        case .clockDoesNotRise(let seq): ReplicaError(.brokenChain, "operation \(origin.short):\(seq) has a clock that does not rise", hint: nothing)
        case .noKey: ReplicaError(.brokenChain, "origin \(origin.short) has no key", hint: nothing)
        case .badSignature(let seq):
            ReplicaError(
                .badSignature,
                "the signature of operation \(origin.short):\(seq) (\(nodeName(origin))) does not verify: the data was altered, forged, or forks this origin's log",
                hint: "\(nothing); ask the sender for a fresh bundle")
        }
    }

    /// Checks one run against this replica's heads, which include the runs of this batch already
    /// applied: continuity, forks, revocations, court, chain and signatures. Writes nothing but
    /// alerts; hands each new operation to `deliver` as soon as it is checked, in seq order, with
    /// its chain hash (a run may hold up to `OperationRun.maxEntries` operations, and holding a
    /// whole run decoded would cost about 300 bytes each).
    ///
    /// A run is authenticated by the signature on its last operation, so `deliver` sees
    /// operations before that signature is checked. The caller applies them inside the batch's
    /// transaction, which the error thrown for a bad signature (or any later failure) rolls back
    /// whole: nothing of a refused batch stays.
    private func verify(
        _ run: OperationRun, state: inout BatchState, report: inout ApplyReport, enrollments: [NodeID: [Enrollment]],
        deliver: (Operation, OperationRun.Entry, SHA256Digest) throws -> Void
    ) throws {
        let origin = run.origin
        if state.forked.contains(origin) { return }
        guard !run.entries.isEmpty else { return }
        var entries = run.entries[...]
        if run.firstSeq == 1, let first = entries.first,
            case .genesis(let g)? = try? Operation.decode(origin: origin, seq: 1, hlc: first.hlc, payload: first.payload).body
        {
            state.nodeOf[origin] = g.node
        }
        // A revoked node's operations beyond what the admin held when revoking are refused by everyone.
        if let node = state.nodeOf[origin], let revocation = try revocations()[node] {
            let keep = revocation.keep[origin] ?? 0
            let allowed = keep >= run.firstSeq ? Int(min(UInt64(entries.count), keep - run.firstSeq + 1)) : 0
            var kept = entries.prefix(allowed)
            while let last = kept.last, last.signature == nil { kept = kept.dropLast() }
            if kept.count < entries.count {
                let detail = "refused \(entries.count - kept.count) operations of origin \(origin.short) (\(nodeName(origin))): its node was revoked"
                report.revoked.append(detail)
                try raiseAlert(kind: "revoked", origin: origin, seq: run.firstSeq + UInt64(kept.count), detail: detail)
            }
            entries = kept
            if entries.isEmpty { return }
        }
        var seq = run.firstSeq
        var key = origins[origin]?.publicKey
        var head = origins[origin]?.headHash ?? Chain.initialHash(origin: origin)
        /// Why this run's operations are held instead of applied (its origin is not a member).
        var holdReason: String?
        var heldName = ""
        if origins[origin] == nil, let held = try heldHead(origin) {
            // More of an origin already held: it stays held, after the same checks.
            guard seq <= held.maxSeq + 1 else {
                report.gaps.append("origin \(origin.short) (held, not a member): this replica holds up to \(held.maxSeq), the run starts at \(seq)")
                return
            }
            let skip = Int(min(UInt64(entries.count), held.maxSeq + 1 - seq))
            entries = entries.dropFirst(skip)
            seq += UInt64(skip)
            report.duplicates += skip
            if entries.isEmpty { return }
            key = held.publicKey
            head = held.headHash
            heldName = held.name
            holdReason = held.reason
        } else if let known = origins[origin] {
            if seq > known.maxSeq + 1 {
                report.gaps.append("origin \(origin.short): this replica holds up to \(known.maxSeq), the run starts at \(seq)")
                return
            }
            // Operations already held must be byte-identical: anything else is a fork.
            var log = LogReader(db)
            while seq <= known.maxSeq, let entry = entries.first {
                let same = try log.entry(origin: known.idx, seq: seq).map { $0.hlc == entry.hlc.raw && $0.body == entry.payload } ?? false
                guard same else {
                    state.forked.insert(origin)
                    let detail = "origin \(origin.hex) (\(nodeName(origin))) has two different operations at seq \(seq); kept ours, refused the other"
                    report.forks.append(detail)
                    try raiseAlert(kind: "fork", origin: origin, seq: seq, detail: detail)
                    return
                }
                report.duplicates += 1
                entries = entries.dropFirst()
                seq += 1
            }
            if entries.isEmpty { return }
        } else if seq != 1 {
            report.gaps.append("origin \(origin.short) is unknown here and the run starts at seq \(seq); import its earlier operations first")
            return
        }
        guard entries.last?.signature != nil else {
            throw ReplicaError(.badSignature, "run of origin \(origin.short) ends without a signature", hint: "nothing was imported")
        }
        // The clock must rise from the operation before this run too: this batch's last of the
        // origin, or the stored one.
        let lastHLC = seq == 1 ? nil : try state.lastClock[origin] ?? storedClock(of: origin, at: seq - 1, held: holdReason != nil)
        var walk = ChainWalk(origin: origin, after: seq - 1, head: head, lastHLC: lastHLC, key: key)
        let loopStart = seq
        for entry in entries {
            let op: Operation
            let next: SHA256Digest
            do throws(ChainWalk.Problem) {
                (op, next) = try walk.check(hlc: entry.hlc, payload: entry.payload, signature: entry.signature)
            } catch {
                throw importRefusal(error, origin: origin)
            }
            if case .genesis(let g) = op.body {
                guard g.court == identity.court else {
                    throw ReplicaError(.wrongCourt, "origin \(origin.short) (\(g.name)) belongs to court \"\(g.court)\", this replica to \"\(identity.court)\"", hint: "nothing was imported; bundles move only within one court")
                }
                if let refusal = admissionRefusal(of: g, origin: origin, enrollments: enrollments) {
                    holdReason = refusal
                    heldName = g.name
                    try db.cached("INSERT INTO held_origins(origin, node, public_key, name, max_seq, head_hash, reason, first_seen) VALUES (?,?,?,?,0,?,?,?)")
                        .bind(.blob(origin.bytes), .blob(g.node.bytes), .blob(g.publicKey), .text(g.name), .blob(head), .text(refusal), .int(Int64(clock.now())))
                        .run()
                    try raiseAlert(kind: "not-a-member", origin: origin, seq: 1, detail: "operations of origin \(origin.short) (\(g.name)) are held, not applied: \(refusal)")
                } else {
                    try noteSecondUse(of: g, origin: origin)
                }
            }
            if holdReason == nil {
                try deliver(op, entry, next)
            } else {
                try db.cached("INSERT INTO held_ops(origin, seq, hlc, body, sig) VALUES (?,?,?,?,?)")
                    .bind(.blob(origin.bytes), .int(Int64(seq)), .int(Int64(entry.hlc.raw)), .blob(entry.payload), entry.signature.map { .blob($0) } ?? .null).run()
            }
            seq += 1
        }
        state.lastClock[origin] = walk.lastHLC
        if let holdReason {
            let hash = walk.hash
            guard try heldCount() <= Self.maxHeldOperations else {
                throw ReplicaError(
                    .notPermitted, "more than \(Self.maxHeldOperations) operations of origins that are not members of \(identity.court) would be held",
                    hint: "nothing was imported; the court admin can see who sends them in `alerts`")
            }
            try db.cached("UPDATE held_origins SET max_seq = ?, head_hash = ? WHERE origin = ?").bind(.int(Int64(seq - 1)), .blob(hash), .blob(origin.bytes)).run()
            let count = report.held[origin.hex]?.operations ?? 0
            report.held[origin.hex] = .init(name: heldName, operations: count + Int(seq - loopStart), reason: holdReason)
        }
    }

    /// Held origins that the enrollments now admit, as runs of all their held operations (taken
    /// out of the held tables; the caller applies them in the same transaction).
    private func admittedHeldRuns(enrollments: [NodeID: [Enrollment]]) throws -> [OperationRun] {
        var runs: [OperationRun] = []
        let candidates = try db.prepare("SELECT origin FROM held_origins ORDER BY origin").map { OriginID(bytes: $0.blob(0)) }.compactMap { $0 }
        for origin in candidates {
            let entries = try db.prepare("SELECT hlc, body, sig FROM held_ops WHERE origin = ? ORDER BY seq").bind(.blob(origin.bytes)).map { row in
                OperationRun.Entry(hlc: HLC(raw: UInt64(row.int(0))), payload: row.blob(1), signature: row.isNull(2) ? nil : row.blob(2))
            }
            guard let first = entries.first,
                case .genesis(let g)? = try? Operation.decode(origin: origin, seq: 1, hlc: first.hlc, payload: first.payload).body,
                admissionRefusal(of: g, origin: origin, enrollments: enrollments) == nil
            else { continue }
            try db.cached("DELETE FROM held_ops WHERE origin = ?").bind(.blob(origin.bytes)).run()
            try db.cached("DELETE FROM held_origins WHERE origin = ?").bind(.blob(origin.bytes)).run()
            // Held runs end at a signed operation (each run held did), so the last entry is signed.
            runs.append(OperationRun(origin: origin, firstSeq: 1, entries: entries))
        }
        return runs
    }

    /// One invitation used on two PCs: two origins of one node that both start afresh (no
    /// predecessor). Both count (they are the same enrolled node and key); the admin is told.
    private func noteSecondUse(of g: Genesis, origin: OriginID) throws {
        guard g.predecessor == nil, !isCourtAdmin(publicKey: g.publicKey),
            let other = origins.values.first(where: { $0.node == g.node && $0.origin != origin && !$0.hasPredecessor })
        else { return }
        try raiseAlert(
            kind: "invitation-reused", origin: origin, seq: 1,
            detail: "the invitation of \(g.name) (node \(g.node.short)) was used on two PCs: origin \(other.origin.short) (\(other.name)) and origin \(origin.short) (\(g.name)); revoke the node and invite each desk anew")
    }
}
