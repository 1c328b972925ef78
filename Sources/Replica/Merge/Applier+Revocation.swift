extension Applier {
    /// Tables folded from the log; rebuilt whole when a revocation undoes operations.
    static let foldedTables = [
        "records", "write_sets", "archives", "bug_reports", "deletion_requests", "letters", "tasks", "steps", "comments", "conflicts",
        "nodes", "members", "enrollments", "revocations",
    ]

    /// A revocation arrived: operations of the revoked node beyond what the admin kept are
    /// removed from the log (every replica refuses them, so every replica must hold the same
    /// prefix) and the tables are folded again from what remains. Rare, and O(log) when it happens.
    /// Returns whether the tables were folded again.
    mutating func undoRevoked() throws -> Bool {
        var removed = 0
        for node in revokedInBatch.sorted() {
            guard let revocation = try replica.revocations()[node] else { continue }
            for info in replica.origins.values where info.node == node {
                let keep = revocation.keep[info.origin] ?? 0
                guard info.maxSeq > keep else { continue }
                try log.flush()
                removed += try OperationLog.truncate(db, origin: info.idx, after: keep)
                log.forgetTails()
                var updated = info
                updated.maxSeq = keep
                updated.headHash = try chainHash(info, upTo: keep)
                replica.origins[info.origin] = updated
                try db.cached("UPDATE origins SET max_seq = ?, head_hash = ? WHERE idx = ?")
                    .bind(.int(Int64(keep)), .blob(updated.headHash), .int(info.idx)).run()
            }
        }
        revokedInBatch.removeAll()
        guard removed > 0 else { return false }
        try replica.raiseAlert(kind: "revoked", origin: nil, seq: nil, detail: "removed \(removed) operations a revoked node wrote after its revocation; tables folded again")
        try rebuild()
        return true
    }

    private func chainHash(_ info: OriginInfo, upTo keep: UInt64) throws -> [UInt8] {
        // The rows were checked when they came in; only the hash is wanted.
        var walk = ChainWalk(origin: info.origin)
        try LogReader(db).scan(origin: info.idx) { entry in
            guard entry.seq <= keep else { return false }
            _ = walk.append(hlc: HLC(raw: entry.hlc), payload: entry.body)
            return true
        }
        return walk.hash
    }
}
