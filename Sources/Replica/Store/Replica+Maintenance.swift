import Foundation

/// What `sinkron verify` found.
public struct VerifyReport: Sendable, Codable, Equatable {
    public var origins: Int
    public var operations: Int
    public var signatures: Int
    public var problems: [String]
    public var ok: Bool { problems.isEmpty }
}

extension Replica {
    // MARK: Verify

    /// Checks every origin's hash chain, every stored signature, the genesis keys, the heads and
    /// SQLite's own page structure. Reads only.
    public func verify() throws -> VerifyReport {
        try db.read {
            var report = VerifyReport(origins: 0, operations: 0, signatures: 0, problems: [])
            let integrity = try db.prepare("PRAGMA quick_check").map { $0.text(0) }
            if integrity != ["ok"] { report.problems.append("SQLite integrity: \(integrity.prefix(5).joined(separator: "; "))") }
            let originRows = try db.prepare("SELECT idx, origin, public_key, max_seq, head_hash FROM origins ORDER BY origin").map {
                ($0.int(0), ID128(bytes: $0.blob(1)), $0.blob(2), UInt64($0.int(3)), $0.blob(4))
            }
            for (idx, originID, key, maxSeq, headHash) in originRows {
                guard let origin = originID else {
                    report.problems.append("origin row \(idx) has a malformed id")
                    continue
                }
                report.origins += 1
                // The same walk import checks with (`ChainWalk`): what it refuses, verify reports.
                var walk = ChainWalk(origin: origin)
                var problem: String?
                do {
                    try LogReader(db).scan(origin: idx) { entry in
                        guard entry.seq == walk.nextSeq else {
                            problem = "origin \(origin.short) (\(nodeName(origin))): operation \(walk.nextSeq) is missing (next held is \(entry.seq))"
                            return false
                        }
                        if entry.signature != nil { report.signatures += 1 }
                        do throws(ChainWalk.Problem) {
                            let (op, _) = try walk.check(hlc: HLC(raw: entry.hlc), payload: entry.body, signature: entry.signature)
                            if case .genesis(let g) = op.body, g.publicKey != key {
                                problem = "origin \(origin.short): the key in its genesis differs from the stored key"
                            }
                        } catch {
                            problem = verifyProblem(error, origin: origin)
                        }
                        report.operations += 1
                        return problem == nil
                    }
                } catch let error as ReplicaError {
                    problem = "origin \(origin.short) (\(nodeName(origin))): \(error.message)"
                }
                if let problem {
                    report.problems.append(problem)
                    continue
                }
                let last = walk.nextSeq - 1
                if last != maxSeq {
                    report.problems.append("origin \(origin.short) (\(nodeName(origin))): the log ends at \(last) but the head says \(maxSeq) — operations were removed")
                } else if walk.hash != headHash {
                    report.problems.append("origin \(origin.short) (\(nodeName(origin))): the chain does not end at the recorded head hash")
                } else if walk.lastSigned != maxSeq {
                    report.problems.append("origin \(origin.short) (\(nodeName(origin))): operations after \(walk.lastSigned) are not covered by a signature")
                }
            }
            return report
        }
    }

    /// What verify says of a stored log that `ChainWalk` refused.
    private func verifyProblem(_ problem: ChainWalk.Problem, origin: OriginID) -> String {
        let name = "origin \(origin.short) (\(nodeName(origin)))"
        return switch problem {
        case .malformed(let seq, let reason): "origin \(origin.short): operation \(seq) is malformed (\(reason))"
        case .noGenesis: "origin \(origin.short): operation 1 is not a genesis"
        case .restarted(let seq): "\(name): operation \(seq) is a second genesis"
        case .clockDoesNotRise(let seq): "\(name): the clock of operation \(seq) does not rise from the one before"
        case .noKey: "\(name): no key to check its signatures with"
        case .badSignature(let seq): "\(name): the signature at operation \(seq) does not verify — an operation at or before it was altered"
        }
    }

    /// Checks the materialised tables against the log: folds every table again from the
    /// operations inside a transaction that is then rolled back, and names each table whose
    /// content differs from what the log says (a value edited with the sqlite3 shell, a row
    /// deleted by hand). Takes the write lock for as long as the fold runs.
    public func verifyTables() throws -> [String] {
        // What a sync left unmerged is not a difference: merge it first.
        try mergeUnmerged()
        return try storage {
            try db.execute("BEGIN IMMEDIATE")
            defer { try? db.execute("ROLLBACK") }
            let stored = try tableHashes()
            var applier = try Applier(replica: self, session: nil)
            try applier.rebuild()
            try applier.finish()
            let folded = try tableHashes()
            return Schema.materialisedTables.filter { stored[$0] != folded[$0] }.map {
                "table \($0) differs from what the operation log says (edited outside sinkron?); `sinkron restore` a backup, or copy the replica again from a peer"
            }
        }
    }

    // MARK: Backup and restore

    /// A consistent copy of the replica while it is in use (SQLite online backup API).
    /// The file holds this node's private key: keep it as safe as the PC itself (mode 0600).
    public func backup(to path: String, force: Bool = false) throws {
        let target = try OutputTarget(path, force: force, replicaHome: home)
        let (temporary, fd) = try target.createTemporary()
        close(fd)
        do {
            let destination = try Database(path: temporary)
            try db.backup(to: destination)
            try destination.execute("PRAGMA journal_mode=DELETE")
            destination.close()
            try target.commit(temporary: temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            try? FileManager.default.removeItem(atPath: temporary + "-journal")
            if let error = error as? SQLiteError { throw ReplicaError(.storage, "the backup failed: \(error.message)", hint: "check free space on the target disk") }
            throw error
        }
    }

    /// Replaces the replica in `home` with a backup. The current replica (if any) is kept beside
    /// it as `replica.db.before-restore-<time>`. The restored replica writes under a new origin, so
    /// it never reuses seq numbers its old origin used after the backup was taken.
    @discardableResult
    public static func restore(
        from backup: String, home: String, force: Bool = false, physicalClock: any PhysicalClock = SystemClock(), entropy: any EntropySource = SystemEntropy()
    ) throws -> Replica {
        guard FileManager.default.fileExists(atPath: backup) else {
            throw ReplicaError(.notFound, "no backup at \(backup)", hint: "check the path")
        }
        var backupIdentity: (node: [UInt8], name: String, role: String, court: String, root: String)?
        // Open the backup read-only first: refuse anything that is not a replica before touching home.
        do {
            let probe = try Database(path: backup, readOnly: true, create: false)
            let meta = try readMeta(probe)
            guard meta["node"] != nil, meta["private_key"] != nil else {
                throw ReplicaError(.invalidInput, "\(backup) is not a Sinkron replica backup", hint: "backups are written by `sinkron backup`")
            }
            if case .blob(let node)? = meta["node"], case .text(let name)? = meta["name"], case .text(let role)? = meta["role"],
                case .text(let court)? = meta["court"]
            {
                let root: String = if case .text(let r)? = meta["court_root"] { r } else { "" }
                backupIdentity = (node, name, role, court, root)
            }
            if try probe.prepare("PRAGMA quick_check").map({ $0.text(0) }) != ["ok"] {
                throw ReplicaError(.invalidInput, "\(backup) is damaged (SQLite integrity check failed)", hint: "use an older backup")
            }
            probe.close()
        } catch let error as SQLiteError {
            throw ReplicaError(.invalidInput, "\(backup) is not a Sinkron replica backup (\(error.message))", hint: "backups are written by `sinkron backup`")
        } catch let error as ReplicaError where error.code != .invalidInput {
            // readMeta's own error speaks of --home; here the file given to restore is at fault.
            throw ReplicaError(.invalidInput, "\(backup) is not a Sinkron replica backup (\(error.message))", hint: "backups are written by `sinkron backup`")
        }
        let path = databasePath(home: home)
        // A backup of another node or court replaces this PC's identity: only on purpose.
        if !force, let backupIdentity, FileManager.default.fileExists(atPath: path), let current = try? Replica(home: home) {
            let what = "the backup is of \(backupIdentity.name) (\(backupIdentity.role)) of \(backupIdentity.court), court root \(fingerprint(backupIdentity.root))"
            let here = "this replica is \(current.identity.name) (\(current.identity.role.rawValue)) of \(current.identity.court), court root \(fingerprint(current.courtRoot ?? ""))"
            if backupIdentity.root != (current.courtRoot ?? "") {
                throw ReplicaError(.wrongCourt, "\(what): another court; \(here)", hint: "nothing was changed; pass --force to replace this replica with it anyway")
            }
            if backupIdentity.node != current.identity.node.bytes {
                throw ReplicaError(.invalidInput, "\(what): another node; \(here)", hint: "nothing was changed; pass --force to replace this replica with it anyway")
            }
        }
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try secureHome(home)
        let temporary = path + ".restore-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.copyItem(atPath: backup, toPath: temporary)
        chmod(temporary, 0o600)
        if FileManager.default.fileExists(atPath: path) {
            // Fold the old WAL into its file, then keep it aside: a restore loses nothing.
            if let old = try? Database(path: path, create: false) {
                try? old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                old.close()
            }
            let stamp = Int(Date().timeIntervalSince1970)
            try FileManager.default.moveItem(atPath: path, toPath: path + ".before-restore-\(stamp)")
            chmod(path + ".before-restore-\(stamp)", 0o600)
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        guard rename(temporary, path) == 0 else { throw ReplicaError(.storage, "cannot move the restored replica into \(home)") }
        let replica = try Replica(home: home, physicalClock: physicalClock, entropy: entropy)
        try replica.startOrigin(predecessor: replica.origin)
        return replica
    }
}
