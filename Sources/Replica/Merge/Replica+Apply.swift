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

    public init() {}

    public var appliedTotal: Int { applied.values.reduce(0, +) }
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
    @discardableResult
    public func apply(_ runs: [OperationRun], session: Int64? = nil) throws -> ApplyReport {
        try storage {
            try db.transaction {
                try beginWrite()
                var report = ApplyReport()
                let verified = try verify(runs, report: &report)
                var applier = try Applier(replica: self, session: session)
                for run in verified {
                    for (op, payload, signature, hash) in run {
                        var flags: Int64 = 0
                        if !clock.observe(op.hlc) {
                            flags |= OperationFlags.clockAhead
                            report.clockAhead += 1
                        }
                        try applier.insert(op, payload: payload, signature: signature, hash: hash, flags: flags)
                    }
                }
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
        }
    }

    typealias VerifiedOp = (Operation, [UInt8], [UInt8]?, [UInt8])

    /// Checks every run against this replica's heads without writing anything but alerts.
    private func verify(_ runs: [OperationRun], report: inout ApplyReport) throws -> [[VerifiedOp]] {
        struct Head {
            var maxSeq: UInt64
            var hash: [UInt8]
            var key: [UInt8]
            var idx: Int64?
            /// Highest seq stored in the database; later ones were verified earlier in this batch.
            var stored: UInt64
            var fresh: [(UInt64, [UInt8])] = []

            func held(_ seq: UInt64, db: Database) throws -> (UInt64, [UInt8])? {
                if seq > stored { return fresh[Int(seq - stored - 1)] }
                guard let idx else { return nil }
                return try db.cached("SELECT hlc, body FROM ops WHERE origin_idx = ? AND seq = ?").bind(.int(idx), .int(Int64(seq)))
                    .first { (UInt64($0.int(0)), $0.blob(1)) }
            }
        }
        var heads: [OriginID: Head] = [:]
        for (origin, info) in origins { heads[origin] = Head(maxSeq: info.maxSeq, hash: info.headHash, key: info.publicKey, idx: info.idx, stored: info.maxSeq) }
        var forked: Set<OriginID> = []
        var out: [[VerifiedOp]] = []
        let revoked = try revocations()
        var nodeOf: [OriginID: NodeID] = origins.mapValues(\.node)
        for run in runs {
            let origin = run.origin
            if forked.contains(origin) { continue }
            var entries = run.entries[...]
            if run.firstSeq == 1, let first = entries.first,
                case .genesis(let g)? = try? Operation.decode(origin: origin, seq: 1, hlc: first.hlc, payload: first.payload).body
            {
                nodeOf[origin] = g.node
            }
            // A revoked node's operations beyond what the admin held when revoking are refused by everyone.
            if let node = nodeOf[origin], let revocation = revoked[node] {
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
                if entries.isEmpty { continue }
            }
            var seq = run.firstSeq
            var head = heads[origin]
            if let known = head {
                if seq > known.maxSeq + 1 {
                    report.gaps.append("origin \(origin.short): this replica holds up to \(known.maxSeq), the run starts at \(seq)")
                    continue
                }
                // Operations already held must be byte-identical: anything else is a fork.
                while seq <= known.maxSeq, let entry = entries.first {
                    let held = try known.held(seq, db: db)
                    if held?.0 != entry.hlc.raw || held?.1 != entry.payload {
                        forked.insert(origin)
                        let detail = "origin \(origin.hex) (\(nodeName(origin))) has two different operations at seq \(seq); kept ours, refused the other"
                        report.forks.append(detail)
                        try raiseAlert(kind: "fork", origin: origin, seq: seq, detail: detail)
                        break
                    }
                    report.duplicates += 1
                    entries = entries.dropFirst()
                    seq += 1
                }
                if forked.contains(origin) || entries.isEmpty { continue }
            } else if seq != 1 {
                report.gaps.append("origin \(origin.short) is unknown here and the run starts at seq \(seq); import its earlier operations first")
                continue
            }
            var verified: [VerifiedOp] = []
            verified.reserveCapacity(entries.count)
            var hash = head?.hash ?? Chain.initialHash(origin: origin)
            for entry in entries {
                let op: Operation
                do {
                    op = try Operation.decode(origin: origin, seq: seq, hlc: entry.hlc, payload: entry.payload)
                } catch {
                    throw ReplicaError(.badBundle, "operation \(origin.short):\(seq) is malformed: \(error)", hint: "the data is damaged; nothing was imported")
                }
                if case .genesis(let g) = op.body {
                    guard seq == 1 else { throw ReplicaError(.brokenChain, "operation \(origin.short):\(seq) restarts its origin", hint: "nothing was imported") }
                    guard g.court == identity.court else {
                        throw ReplicaError(.wrongCourt, "origin \(origin.short) (\(g.name)) belongs to court \"\(g.court)\", this replica to \"\(identity.court)\"", hint: "nothing was imported; bundles move only within one court")
                    }
                    head = Head(maxSeq: 0, hash: hash, key: g.publicKey, idx: nil, stored: 0)
                } else if seq == 1 {
                    throw ReplicaError(.brokenChain, "origin \(origin.short) does not start with its genesis operation", hint: "nothing was imported")
                }
                guard let key = head?.key else { throw ReplicaError(.brokenChain, "origin \(origin.short) has no key") }
                if let last = verified.last?.0.hlc, op.hlc <= last {
                    throw ReplicaError(.brokenChain, "operation \(origin.short):\(seq) has a clock that does not rise", hint: "nothing was imported")
                }
                hash = Chain.next(previous: hash, origin: origin, seq: seq, hlc: entry.hlc, payload: entry.payload)
                if let signature = entry.signature, !Chain.verify(origin: origin, seq: seq, hash: hash, signature: signature, publicKey: key) {
                    throw ReplicaError(
                        .badSignature,
                        "the signature of operation \(origin.short):\(seq) (\(nodeName(origin))) does not verify: the data was altered, forged, or forks this origin's log",
                        hint: "nothing was imported; ask the sender for a fresh bundle")
                }
                verified.append((op, entry.payload, entry.signature, hash))
                seq += 1
            }
            guard verified.last?.2 != nil else {
                throw ReplicaError(.badSignature, "run of origin \(origin.short) ends without a signature", hint: "nothing was imported")
            }
            guard var updated = head else { continue }
            updated.maxSeq = seq - 1
            updated.hash = hash
            updated.fresh.append(contentsOf: verified.map { ($0.0.hlc.raw, $0.1) })
            heads[origin] = updated
            out.append(verified)
        }
        return out
    }
}
