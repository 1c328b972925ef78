import Crypto
import Foundation

/// Who this node is: created by `sinkron init`, stored in the replica's `meta` table.
public struct NodeIdentity: Sendable, Equatable {
    public var node: NodeID
    public var name: String
    public var role: Role
    public var court: String
    public var publicKey: [UInt8]

    public init(node: NodeID, name: String, role: Role, court: String, publicKey: [UInt8]) {
        self.node = node
        self.name = name
        self.role = role
        self.court = court
        self.publicKey = publicKey
    }
}

/// What a replica knows about one origin log.
struct OriginInfo {
    var idx: Int64
    var origin: OriginID
    var node: NodeID
    var publicKey: [UInt8]
    var name: String
    var role: Role
    var court: String
    var maxSeq: UInt64
    var headHash: [UInt8]
    /// The origin this one continues (a restore or copy), from its genesis.
    var predecessor: OriginID? = nil

    var hasPredecessor: Bool { predecessor != nil }
}

/// A node's local replica: the signed operation log and the SQL tables folded from it.
///
/// Not `Sendable`: open one per thread or process. Several processes may open the same replica;
/// SQLite's WAL mode and `BEGIN IMMEDIATE` serialise their writes.
public final class Replica {
    public static let databaseName = "replica.db"

    public let home: String
    package let db: Database
    public let identity: NodeIdentity
    let privateKey: Curve25519.Signing.PrivateKey
    /// Where this replica's ids, keys and codes come from (the system CSPRNG unless a test seeds it).
    public let entropy: any EntropySource
    /// The origin this replica writes under; replaced when a copy or restore is detected.
    public private(set) var origin: OriginID
    var clock: HybridClock
    /// Hops from the admin's clock, from `meta` (nil: court time not yet learned in a session).
    var storedClockHops: UInt8?
    var origins: [OriginID: OriginInfo] = [:]
    /// How much the merge's queue holds before it spills a run, and how large its chunks are
    /// (see `Applier`). Tests make them small, so that a few operations merge in many pieces; the
    /// result must not change.
    package var mergeLimits = MergeLimits()
    /// What the last deferring batch left queued (see `Applier.deferring`).
    var pendingMerge: PendingMerge?
    let pendingMergeSalt = Int64.random(in: .min ... .max)
    var pendingMergeTokens: Int64 = 0
    var originsByIdx: [Int64: OriginID] = [:]
    /// Set when the database file is not the one this origin was started in (a copy or restore).
    var fileMoved = false
    /// The calendar last read from the court's settings (`workingCalendar`), with what it was read from.
    var calendarMemo: (settings: [String: String], localZone: CourtZone?, calendar: WorkingCalendar)?
    /// Permissions made private when the replica was opened (a home others could read).
    public private(set) var tightened: [String] = []

    public static func databasePath(home: String) -> String {
        (home as NSString).appendingPathComponent(databaseName)
    }

    /// Creates a new node and its replica in `home`. A node made this way is the admin of a new
    /// court when its role is `kasubbag` or `staf-ti` (DESIGN: a court's first node is its admin);
    /// desks normally join with `initialize(home:invitation:)` instead. The new court's data starts
    /// with every shipped SOP flow in its book and the default calendar in `zone`
    /// (`seedCourtData`), so records pin a definition held in the replica from the first one on.
    @discardableResult
    public static func initialize(
        home: String, court: String, name: String, role: Role, zone: CourtZone = .wib, physicalClock: any PhysicalClock = SystemClock(),
        entropy: any EntropySource = SystemEntropy()
    ) throws -> Replica {
        let key = entropy.signingKey()
        return try create(home: home, court: court, name: name, role: role, node: entropy.id(), key: key,
            courtRoot: Array(key.publicKey.rawRepresentation).hex, courtCode: nil, bundle: nil, issued: nil, seed: zone, physicalClock: physicalClock,
            entropy: entropy)
    }

    /// Creates a node from an invitation file written by the court admin (`sinkron invite`) and
    /// the one-time code that came with it: its identity, the court root, and the admin's replica
    /// so far. The invitation is authenticated whole and its key opened before anything is written.
    @discardableResult
    public static func initialize(
        home: String, invitation path: String, code: String, physicalClock: any PhysicalClock = SystemClock(), entropy: any EntropySource = SystemEntropy()
    ) throws -> Replica {
        let (invite, key) = try Invitation.open(path, code: code)
        let runs: [OperationRun]
        do {
            let (info, decoded) = try Bundle.decode(invite.bundle)
            guard info.court == invite.court, info.courtRoot == invite.courtRoot else { throw Invitation.damaged }
            runs = decoded
        } catch let error as ReplicaError where error.code == .badBundle {
            throw ReplicaError(.invalidInput, "the court data inside the invitation is damaged: \(error.message)", hint: "nothing was written; ask the court admin for a new invitation")
        }
        return try create(home: home, court: invite.court, name: invite.name, role: invite.role, node: invite.node, key: key,
            courtRoot: invite.courtRoot, courtCode: invite.courtCode.isEmpty ? nil : invite.courtCode, bundle: runs, issued: (invite.issuedAt, invite.issuedBy),
            seed: nil, physicalClock: physicalClock, entropy: entropy)
    }

    /// Makes the replica under a temporary name and renames it into place only once it is whole
    /// (schema, identity, the invitation's data, the first origin): a failed init leaves nothing,
    /// and running it again with good input works.
    private static func create(
        home: String, court: String, name: String, role: Role, node: NodeID, key: Curve25519.Signing.PrivateKey, courtRoot: String,
        courtCode: String?, bundle: [OperationRun]?, issued: (at: UInt64, by: String)?, seed: CourtZone?, physicalClock: any PhysicalClock,
        entropy: any EntropySource
    ) throws -> Replica {
        let court = court.trimmingCharacters(in: .whitespaces)
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !court.isEmpty, court.utf8.count <= 200 else {
            throw ReplicaError(.invalidInput, "court name is empty or too long", hint: "e.g. \"PN Bengkalis\"")
        }
        guard !name.isEmpty, name.utf8.count <= 200 else {
            throw ReplicaError(.invalidInput, "node name is empty or too long", hint: "e.g. \"meja-satu-1\"")
        }
        let path = databasePath(home: home)
        if FileManager.default.fileExists(atPath: path) {
            throw ReplicaError(.alreadyInitialized, "a replica already exists in \(home)", hint: "use it as it is, or choose another home folder")
        }
        let madeHome = !FileManager.default.fileExists(atPath: home)
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ReplicaError(.storage, "cannot create \(home): \(error.localizedDescription)", hint: "check the path and its permissions")
        }
        let temporary = path + ".init-\(getpid())"
        func removeTemporary() {
            for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: temporary + suffix) }
        }
        removeTemporary()
        do {
            _ = try secureHome(home)
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw ReplicaError(.storage, "cannot create the replica in \(home): \(String(cString: strerror(errno)))") }
            close(fd)
            let db = try Database(path: temporary)
            try db.execute("PRAGMA journal_mode=DELETE; PRAGMA page_size=\(Schema.pageSize)")
            try db.transaction {
                // Schema 1; opening it below runs every migration since (`Migrations`), so a new
                // replica and an updated one end at the same schema.
                try db.execute(Schema.statements)
                let put = try db.prepare("INSERT INTO meta(key, value) VALUES (?, ?)")
                for (k, v): (String, SQLValue) in [
                    ("schema_version", .int(1)), ("node", .blob(node.bytes)), ("name", .text(name)),
                    ("role", .text(role.rawValue)), ("court", .text(court)), ("private_key", .blob(Array(key.rawRepresentation))),
                    ("hlc", .int(0)), ("court_root", .text(courtRoot)), ("court_code", .optional(courtCode)),
                ] {
                    try put.bind(.text(k), v).run()
                    put.reset()
                }
            }
            db.close()
            let replica = try Replica(path: temporary, home: home, physicalClock: physicalClock, entropy: entropy)
            if let issued { try replica.adoptInvitationClock(issuedAt: issued.at, admin: issued.by) }
            if let bundle {
                let report = try replica.apply(bundle)
                let enrolled = try replica.enrollments()[node]?.contains { $0.publicKey == replica.identity.publicKey } ?? false
                guard enrolled, report.heldTotal == 0 else {
                    throw ReplicaError(.invalidInput, "the invitation's court data does not enroll this desk", hint: "nothing was written; ask the court admin for a new invitation")
                }
            }
            try replica.startOrigin(predecessor: nil)
            if let seed, replica.isAdmin { try replica.seedCourtData(zone: seed) }
            // Back to a single file, then into place under its real name.
            try replica.db.execute("PRAGMA journal_mode=DELETE")
            replica.db.close()
            guard rename(temporary, path) == 0 else { throw ReplicaError(.storage, "cannot move the new replica into \(home): \(String(cString: strerror(errno)))") }
        } catch {
            removeTemporary()
            if madeHome { try? FileManager.default.removeItem(atPath: home) }
            if let error = error as? ReplicaError { throw error }
            throw ReplicaError(.storage, "cannot create the replica in \(home): \(error)", hint: "nothing was left behind; check the folder and free space")
        }
        return try Replica(home: home, physicalClock: physicalClock, entropy: entropy)
    }

    /// Makes a replica's home private: mode 0700, its database, WAL and shared-memory file 0600.
    /// Returns what it had to tighten, so the caller can say so.
    @discardableResult
    public static func secureHome(_ home: String) throws -> [String] {
        var tightened: [String] = []
        var st = stat()
        if stat(home, &st) == 0, st.st_mode & 0o077 != 0 {
            guard chmod(home, 0o700) == 0 else {
                throw ReplicaError(.storage, "\(home) can be read by others and cannot be made private: \(String(cString: strerror(errno)))", hint: "fix its owner or permissions")
            }
            tightened.append("\(home): \(String(st.st_mode & 0o777, radix: 8)) → 700")
        }
        let db = databasePath(home: home)
        for file in [db, db + "-wal", db + "-shm"] where stat(file, &st) == 0 && st.st_mode & 0o077 != 0 {
            chmod(file, 0o600)
            tightened.append("\(file): \(String(st.st_mode & 0o777, radix: 8)) → 600")
        }
        return tightened
    }

    /// Opens the replica in `home`.
    public convenience init(home: String, physicalClock: any PhysicalClock = SystemClock(), entropy: any EntropySource = SystemEntropy()) throws {
        let path = Self.databasePath(home: home)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ReplicaError(.notInitialized, "no replica in \(home)", hint: "run `sinkron init --court NAME --name NODE --role ROLE` first, or pass --home")
        }
        try self.init(path: path, home: home, physicalClock: physicalClock, entropy: entropy)
    }

    init(path: String, home: String, physicalClock: any PhysicalClock, entropy: any EntropySource) throws {
        self.home = home
        self.entropy = entropy
        // The database holds this node's private key: it and its WAL stay 0600 whatever the umask.
        let previousMask = umask(0o077)
        defer { umask(previousMask) }
        tightened = (try? Self.secureHome(home)) ?? []
        do {
            db = try Database(path: path, create: false)
            // WAL with synchronous=FULL: a commit is durable once the WAL is synced, one fdatasync.
            // The WAL outlives the process (no checkpoint at close, which would sync the database
            // file and the folder again on every desk command); SQLite checkpoints it every 1,000
            // pages, and truncates it to 1 MiB (64 pages, more than a desk command writes) when
            // it starts over: what a bulk import leaves beside the database. So replica.db alone is not the
            // replica: copy the folder, or use `sinkron backup`. An 8 MB page cache: a merge
            // reads and writes its tables in key order (`MergeQueue`), and a desk command reads
            // a few pages; a larger cache only raised a 1M-operation import's memory.
            try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; PRAGMA cache_size=-8000; PRAGMA journal_size_limit=1048576")
            try db.keepWALOnClose()
        } catch let error as SQLiteError {
            throw ReplicaError(.storage, "cannot open the replica at \(path): \(error.message)", hint: "is it a Sinkron replica? `sinkron verify` checks one")
        }
        var meta = try Self.readMeta(db)
        if case .int(let version)? = meta["schema_version"], version != Schema.version {
            try Migrations.run(db, from: version, path: path)
            meta = try Self.readMeta(db)
        }
        guard let nodeBytes = meta["node"].flatMap({ if case .blob(let b) = $0 { b } else { nil } }),
            let node = NodeID(bytes: nodeBytes),
            case .text(let name)? = meta["name"], case .text(let roleName)? = meta["role"], let role = Role(rawValue: roleName),
            case .text(let court)? = meta["court"], case .blob(let keyBytes)? = meta["private_key"],
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes)
        else {
            throw ReplicaError(.storage, "\(path) is not a Sinkron replica or its identity is damaged", hint: "restore it from a backup with `sinkron restore`")
        }
        privateKey = key
        identity = NodeIdentity(node: node, name: name, role: role, court: court, publicKey: Array(key.publicKey.rawRepresentation))
        if case .blob(let o)? = meta["origin"], let o = ID128(bytes: o) { origin = o } else { origin = ID128(high: 0, low: 0) }
        clock = HybridClock(physical: physicalClock)
        if case .text(let stored)? = meta["file_id"], stored != Self.fileID(path) { fileMoved = true }
        try refreshClock()
        try loadOrigins()
    }

    static func readMeta(_ db: Database) throws -> [String: SQLValue] {
        var meta: [String: SQLValue] = [:]
        do {
            try db.prepare("SELECT key, value FROM meta").forEach { meta[$0.text(0)] = $0.value(1) }
        } catch {
            throw ReplicaError(.storage, "\(db.path) is not a Sinkron replica (\(error))", hint: "check --home")
        }
        return meta
    }

    /// Device and inode of the database file: a copy or a restore gets a new one.
    static func fileID(_ path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { return "?" }
        return "\(st.st_dev):\(st.st_ino)"
    }

    func loadOrigins() throws {
        origins.removeAll()
        originsByIdx.removeAll()
        try db.prepare("SELECT idx, origin, node, public_key, name, role, court, max_seq, head_hash, predecessor FROM origins").forEach { row in
            guard let origin = ID128(bytes: row.blob(1)), let node = ID128(bytes: row.blob(2)) else { return }
            let info = OriginInfo(
                idx: row.int(0), origin: origin, node: node, publicKey: row.blob(3), name: row.text(4),
                role: Role(rawValue: row.text(5)) ?? .userSipp, court: row.text(6), maxSeq: UInt64(row.int(7)), headHash: row.blob(8),
                predecessor: row.isNull(9) ? nil : ID128(bytes: row.blob(9)))
            origins[origin] = info
            originsByIdx[info.idx] = origin
        }
    }

    /// Starts a new origin log for this node (at init, after a restore or copy, and when its
    /// stamps ran ahead of court time: `restartClock` then starts the new log's clock afresh).
    func startOrigin(predecessor: OriginID?, restartClock: Bool = false) throws {
        let newOrigin = entropy.id()
        let genesis = Genesis(
            node: identity.node, publicKey: identity.publicKey, name: identity.name, role: identity.role, court: identity.court,
            predecessor: predecessor)
        try db.transaction {
            try refreshClock()
            if restartClock { clock = HybridClock(last: HLC(raw: 0), physical: clock.physical, offset: clock.offset) }
            let hlc = clock.tick()
            let op = Operation(origin: newOrigin, seq: 1, hlc: hlc, author: "", body: .genesis(genesis))
            let payload = op.encodePayload()
            var walk = ChainWalk(origin: newOrigin)
            let hash = walk.append(hlc: hlc, payload: payload)
            let signature = try Chain.sign(origin: newOrigin, seq: 1, hash: Array(hash), key: privateKey)
            var applier = try Applier(replica: self, session: nil)
            try applier.insert(op, payload: payload, signature: signature, hash: hash, flags: 0)
            try applier.finish()
            try db.cached("INSERT OR REPLACE INTO meta(key, value) VALUES ('origin', ?), ('file_id', ?), ('hlc', ?)")
                .bind(.blob(newOrigin.bytes), .text(Self.fileID(db.path)), .int(Int64(clock.last.raw))).run()
        }
        origin = newOrigin
        fileMoved = false
    }

    /// Re-reads the persisted clock, court-time correction and origin inside a write transaction
    /// (another process, such as the daemon, may have written, learned court time, or started a
    /// new origin since).
    func refreshClock() throws {
        var stored: (origin: OriginID?, hlc: HLC?) = (nil, nil)
        try db.cached("SELECT key, value FROM meta WHERE key IN ('hlc', 'clock_offset', 'clock_hops', 'origin')").forEach { row in
            switch (row.text(0), row.value(1)) {
            case ("hlc", .int(let raw)): stored.hlc = HLC(raw: UInt64(raw))
            case ("origin", .blob(let bytes)): stored.origin = ID128(bytes: bytes)
            case ("clock_offset", .int(let offset)): clock.offset = offset
            case ("clock_hops", .int(let hops)): storedClockHops = UInt8(clamping: hops)
            default: break
            }
        }
        if let newer = stored.origin, newer != origin, !fileMoved {
            // Another process continued this node under a new origin: its clock starts there.
            origin = newer
            clock = HybridClock(last: stored.hlc ?? HLC(raw: 0), physical: clock.physical, offset: clock.offset)
        } else if let hlc = stored.hlc {
            clock.observeLocal(hlc)
        }
    }

    func originInfo(idx: Int64) -> OriginInfo? {
        originsByIdx[idx].flatMap { origins[$0] }
    }

    /// The node name of an origin, for display.
    func nodeName(_ origin: OriginID) -> String { origins[origin]?.name ?? origin.short }
}

extension HybridClock {
    /// Adopts a persisted local reading (always trusted: it was ours).
    mutating func observeLocal(_ reading: HLC) {
        if reading > last { self = HybridClock(last: reading, physical: physical, offset: offset) }
    }
}
