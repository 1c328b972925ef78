extension Replica {
    /// Appends local operations in one transaction and signs the last one (and every
    /// `signEvery`-th, and after every 256 KiB of payload, so that a receiver never holds a long
    /// unsigned run and a signed stretch always fits one sync batch).
    ///
    /// Everything happens in one SQLite transaction: the command's change is there whole or not at all.
    /// Payload bytes after which a bulk write signs again (far below the sync frame limit).
    static let signEveryBytes = 256 * 1024

    @discardableResult
    public func commit(author: String = "", _ bodies: [OperationBody], signEvery: Int = 1000) throws -> [Operation] {
        guard !bodies.isEmpty else { return [] }
        // The payload holds only the author and the body. Refuse what no replica could decode (an
        // over-long author, a step number out of range...) before anything is written: such an
        // operation would be refused by every peer, and with it every batch that carries it.
        let payloads = try bodies.map { body in
            let payload = Operation(origin: origin, seq: 1, hlc: HLC(raw: 0), author: author, body: body).encodePayload()
            do {
                _ = try Operation.decode(origin: origin, seq: 1, hlc: HLC(raw: 0), payload: payload)
            } catch {
                throw ReplicaError(.invalidInput, "a \(body.kindName) operation cannot be written: \(error)", hint: "shorten the text (a person's name is at most 256 bytes)")
            }
            return payload
        }
        if fileMoved {
            // This file is a copy or a restore: never write under seq numbers the old origin used elsewhere.
            try startOrigin(predecessor: origin)
        }
        return try storage {
            try db.transaction {
                try beginWrite()
                guard let info = origins[origin] else {
                    throw ReplicaError(.storage, "this replica's own origin is missing from its log", hint: "run `sinkron verify`")
                }
                var applier = try Applier(replica: self, session: nil)
                var seq = info.maxSeq
                var walk = ChainWalk(origin: origin, after: info.maxSeq, head: info.headHash, lastHLC: nil, key: identity.publicKey)
                var written: [Operation] = []
                written.reserveCapacity(bodies.count)
                var unsigned = (count: 0, bytes: 0)
                for (i, body) in bodies.enumerated() {
                    seq += 1
                    let op = Operation(origin: origin, seq: seq, hlc: clock.tick(), author: author, body: body)
                    let payload = payloads[i]
                    let digest = walk.append(hlc: op.hlc, payload: payload)
                    unsigned = (unsigned.count + 1, unsigned.bytes + payload.count)
                    // Sign at the end, and often enough that a signed stretch always fits a sync batch.
                    let sign = i == bodies.count - 1 || unsigned.count >= signEvery || unsigned.bytes >= Self.signEveryBytes
                    if sign { unsigned = (0, 0) }
                    let signature = sign ? try Chain.sign(origin: origin, seq: seq, hash: Array(digest), key: privateKey) : nil
                    try applier.insert(op, payload: payload, signature: signature, hash: digest, flags: 0)
                    written.append(op)
                }
                try applier.finish()
                try saveClock()
                return written
            }
        }
    }

    /// Called first in every write transaction: another process may have written since we looked,
    /// so origins and clock are read again; and what a sync left unmerged is merged first (unless
    /// `mergingUnmerged` is false: a sync's own batch), so that nothing written from here on reads
    /// tables older than the log.
    func beginWrite(mergingUnmerged: Bool = true) throws {
        try loadOrigins()
        try refreshClock()
        if mergingUnmerged { try mergeUnmergedInTransaction(session: nil) }
    }

    /// Whether the log holds operations a sync has not merged into the tables yet.
    public func hasUnmerged() throws -> Bool {
        try db.cached("SELECT 1 FROM unmerged LIMIT 1").first { _ in true } ?? false
    }

    /// Merges into the tables what sync sessions appended to the log and left unmerged (see
    /// `Applier.deferring`), in one transaction; the conflicts it found. A session calls it when
    /// it ends; after a crash, the next write or session does.
    @discardableResult
    public func mergeUnmerged(session: Int64? = nil) throws -> Int {
        guard try hasUnmerged() else { return 0 }
        return try storage {
            try db.transaction {
                try loadOrigins()
                try refreshClock()
                return try mergeUnmergedInTransaction(session: session)
            }
        }
    }

    @discardableResult
    private func mergeUnmergedInTransaction(session: Int64?) throws -> Int {
        guard try hasUnmerged() else {
            pendingMerge = nil
            return 0
        }
        var applier = try Applier(replica: self, session: session)
        try applier.queueUnmerged()
        try applier.finish()
        return applier.conflictsFound
    }

    func unmergedToken() throws -> Int64? {
        try db.cached("SELECT value FROM meta WHERE key = 'unmerged_token'").first { $0.int(0) }
    }

    /// A fresh token for what `unmerged` lists now (see `PendingMerge`): this replica object's
    /// random salt and a count, so that no other writer's token equals it. (Not from `entropy`:
    /// it decides nothing a simulation seed replays.)
    func newUnmergedToken() throws -> Int64 {
        pendingMergeTokens &+= 1
        let token = pendingMergeSalt &+ pendingMergeTokens
        try db.cached("INSERT OR REPLACE INTO meta(key, value) VALUES ('unmerged_token', ?)").bind(.int(token)).run()
        return token
    }

    func saveClock() throws {
        try db.cached("INSERT OR REPLACE INTO meta(key, value) VALUES ('hlc', ?)").bind(.int(Int64(clock.last.raw))).run()
    }

    /// Turns SQLite errors into errors a user can act on. When `body` fails, `undo` first puts back
    /// what it changed in memory (the caller's transaction rolled back what it wrote).
    func storage<T>(_ body: () throws -> T, onError undo: () -> Void = {}) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError {
            undo()
            try? loadOrigins()
            if error.isBusy {
                throw ReplicaError(.busy, "the replica stayed locked by another process for 10 seconds", hint: "try again; if it persists, check for a stuck sinkron process")
            }
            throw ReplicaError(.storage, "the replica could not be written: \(error.message)", hint: "nothing was changed; check disk space, then run `sinkron verify`")
        } catch {
            undo()
            try? loadOrigins()
            throw error
        }
    }

    /// Records an alert the admin sees in `sinkron alerts` (inside the caller's transaction, if any).
    func raiseAlert(kind: String, origin: OriginID?, seq: UInt64?, detail: String) throws {
        try db.cached("INSERT INTO alerts(at, kind, origin, seq, detail) VALUES (?,?,?,?,?)")
            .bind(.int(Int64(clock.now())), .text(kind), .optional(origin?.hex), seq.map { .int(Int64($0)) } ?? .null, .text(detail))
            .run()
    }
}
