import Foundation
import Replica

/// A temporary directory for one test, with helpers to make replica homes inside it.
///
/// Remove it with `remove()` (or let it go: `deinit` removes it too). Every path it hands out
/// lies under `root`, so a test never touches another test's files.
public final class Sandbox {
    public let root: String
    /// The operations a founding admin writes after its genesis to seed the court's data.
    public static var seed: Int { Replica.courtSeedOperations.calendar + Replica.courtSeedOperations.flows }
    /// The court every replica made here belongs to unless told otherwise.
    public static let court = "PN Bengkalis"
    /// Where the replicas made or opened here take their ids, keys and codes from: the system's
    /// generator, or a seeded one so that a run replays exactly.
    public let entropy: any EntropySource

    public init(_ label: String = "sinkron", entropy: any EntropySource = SystemEntropy()) throws {
        self.entropy = entropy
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("\(label)-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else {
            throw ReplicaError(.storage, "cannot create a temporary directory in \(NSTemporaryDirectory()) (errno \(errno))")
        }
        root = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { remove() }

    /// Deletes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A path inside the sandbox (not created).
    public func path(_ name: String) -> String {
        (root as NSString).appendingPathComponent(name)
    }

    /// A replica home inside the sandbox (not created).
    public func home(_ name: String) -> String { path("home-\(name)") }

    /// Initialises a node in `home(name)`, a member of the sandbox's court: a court admin that
    /// the sandbox keeps out of sight (`home("court-admin")`) enrolls it and it joins by
    /// invitation, so replicas made here may exchange operations. With another `court` the node
    /// founds a court of its own (an outsider's, whatever its name). `fast` turns off fsync: for
    /// tests that write thousands of operations and never test durability.
    @discardableResult
    public func replica(
        _ name: String, role: Role, court: String = Sandbox.court, clock: any PhysicalClock = ManualClock(), fast: Bool = true
    ) throws -> Replica {
        guard court == Sandbox.court else { return try founder(name, role: role, court: court, clock: clock, fast: fast) }
        let adminHome = home("court-admin")
        if !FileManager.default.fileExists(atPath: Replica.databasePath(home: adminHome)) {
            try Replica.initialize(home: adminHome, court: court, name: "court-admin", role: .kasubbag, physicalClock: ManualClock(), entropy: entropy)
                .disableSync()
        }
        // The admin reads the new node's clock, so the invitation's court time is the node's own
        // (a node whose clock is far from the invitation's would take the invitation's).
        let admin = try Replica(home: adminHome, physicalClock: clock, entropy: entropy)
        try admin.disableSync()
        return try member(name, role: role, invitedBy: admin, clock: clock, fast: fast)
    }

    /// Initialises a node that founds a court of its own in `home(name)`: it is that court's admin.
    @discardableResult
    public func founder(
        _ name: String, role: Role, court: String = Sandbox.court, clock: any PhysicalClock = ManualClock(), fast: Bool = true
    ) throws -> Replica {
        let replica = try Replica.initialize(home: home(name), court: court, name: name, role: role, physicalClock: clock, entropy: entropy)
        if fast { try replica.disableSync() }
        return replica
    }

    /// Opens the replica in `home(name)` again (a new instance, as another process would).
    public func reopen(_ name: String, clock: any PhysicalClock = ManualClock(), fast: Bool = true) throws -> Replica {
        let replica = try Replica(home: home(name), physicalClock: clock, entropy: entropy)
        if fast { try replica.disableSync() }
        return replica
    }
}

extension Replica {
    /// Stops SQLite from syncing to disk on this connection (tests only: a crash may lose writes).
    public func disableSync() throws {
        try db.execute("PRAGMA synchronous=OFF")
    }

    /// Runs SQL directly on the replica's database: for tests that damage a replica on purpose.
    public func executeRaw(_ sql: String) throws {
        try db.execute(sql)
    }

    /// The rows of a query, each column rendered as text (`NULL` for null, `x'…'` for blobs).
    public func rows(_ sql: String) throws -> [[String]] {
        try db.prepare(sql).map { row in
            (0..<row.columnCount).map { column in
                switch row.value(column) {
                case .null: "NULL"
                case .int(let v): String(v)
                case .text(let s): s
                case .blob(let b): "x'" + b.map { String(format: "%02x", $0) }.joined() + "'"
                }
            }
        }
    }

    /// The first column of the first row of a query, as an integer.
    public func scalar(_ sql: String) throws -> Int64? {
        try db.prepare(sql).first { $0.optionalInt(0) } ?? nil
    }

    /// How many operations the log holds, rows and packed runs counted apart, and how many seqs
    /// it holds more than once (a row inside a run, or two runs that overlap).
    public func logCensus() throws -> (held: UInt64, twice: Int64) {
        let rows = try scalar("SELECT count(*) FROM ops") ?? 0
        let packed = try scalar("SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM op_runs") ?? 0
        let rowInRun = try scalar("SELECT count(*) FROM ops o JOIN op_runs r ON r.origin_idx = o.origin_idx AND o.seq BETWEEN r.first_seq AND r.last_seq") ?? 0
        let runInRun = try scalar(
            "SELECT count(*) FROM op_runs a JOIN op_runs b ON a.origin_idx = b.origin_idx AND a.last_seq < b.last_seq AND b.first_seq <= a.last_seq") ?? 0
        let rowTwice = try scalar("SELECT count(*) FROM (SELECT 1 FROM ops GROUP BY origin_idx, seq HAVING count(*) > 1)") ?? 0
        return (UInt64(rows + packed), rowInRun + runInRun + rowTwice)
    }

    /// The whole log, a line per operation in origin and seq order: origin, seq, clock, payload
    /// and signature in hex (for comparing two runs of one simulation byte for byte).
    public func logDump() throws -> String {
        try db.read {
            var lines: [String] = []
            for (idx, origin) in try db.prepare("SELECT idx, origin FROM origins ORDER BY origin").map({ ($0.int(0), $0.blob(1)) }) {
                try LogReader(db).scan(origin: idx) { e in
                    lines.append("\(origin.hex) \(e.seq) \(e.hlc) \(e.body.hex) \(e.signature?.hex ?? "")")
                    return true
                }
            }
            return lines.joined(separator: "\n")
        }
    }

    /// One operation of the log as stored here, rows and packed runs alike.
    public func logEntry(_ origin: OriginID, seq: UInt64) throws -> (hlc: HLC, payload: [UInt8], session: Int64?)? {
        guard let idx = try db.cached("SELECT idx FROM origins WHERE origin = ?").bind(.blob(origin.bytes)).first({ $0.int(0) }) else { return nil }
        var log = LogReader(db)
        return try log.entry(origin: idx, seq: seq).map { (HLC(raw: $0.hlc), $0.body, $0.session) }
    }
}

extension Sandbox {
    /// A node that joins the court of `admin` the way a desk does: the admin enrolls it and
    /// writes an invitation file, and the node is initialised from that file.
    @discardableResult
    public func member(_ name: String, role: Role, invitedBy admin: Replica, clock: any PhysicalClock = ManualClock(), fast: Bool = true) throws -> Replica {
        let invitation = path("\(name).invitation")
        let receipt = try admin.invite(name: name, role: role, to: invitation, strength: .testing)
        defer { try? FileManager.default.removeItem(atPath: invitation) }
        let replica = try Replica.initialize(home: home(name), invitation: invitation, code: receipt.code, physicalClock: clock, entropy: entropy)
        if fast { try replica.disableSync() }
        return replica
    }
}
