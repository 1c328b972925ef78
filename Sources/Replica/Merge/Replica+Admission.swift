import Crypto
import Foundation

/// One enroll operation of the court admin, as the merge uses it.
struct Enrollment: Comparable {
    var hlc: HLC
    var by: OpID
    var publicKey: [UInt8]
    var role: Role
    var name: String

    static func < (a: Enrollment, b: Enrollment) -> Bool { (a.hlc, a.by) < (b.hlc, b.by) }
    static func == (a: Enrollment, b: Enrollment) -> Bool { a.by == b.by }
}

/// Operations of origins that are not members of the court, held apart (`held_origins`, `held_ops`).
public struct HeldOrigin: Sendable, Codable, Equatable {
    public var origin: String
    public var node: String
    public var name: String
    public var operations: Int
    public var reason: String
}

/// Who may write into the court. An operation counts only if its origin belongs to a node the
/// court's admin enrolled: the admin's key is the court root, the admin's signed enroll
/// operation names the node's key, and the origin's genesis is signed by that key (the chain
/// check verifies every run under the key its genesis names). What an origin says about itself
/// (its name, role or court in the genesis) grants nothing. Whether an origin is admitted
/// depends only on the enrollments held, which only grow, so every replica that holds the same
/// operations admits the same origins: the replicas converge.
extension Replica {
    /// Every enrollment held, by node, in clock order.
    func enrollments() throws -> [NodeID: [Enrollment]] {
        var out: [NodeID: [Enrollment]] = [:]
        try db.cached("SELECT node, public_key, role, name, hlc, enrolled_by FROM enrollments").forEach { row in
            guard let node = ID128(hex: row.text(0)), let by = Self.parseOp(row.text(5)) else { return }
            out[node, default: []].append(
                Enrollment(
                    hlc: HLC(raw: UInt64(row.int(4))), by: by, publicKey: Self.bytes(hex: row.text(1)), role: Role(rawValue: row.text(2)) ?? .userSipp,
                    name: row.text(3)))
        }
        for node in out.keys { out[node]!.sort() }
        return out
    }

    /// Nil when an origin starting with genesis `g` is a member of this court; otherwise why not.
    func admissionRefusal(of g: Genesis, origin: OriginID, enrollments: [NodeID: [Enrollment]]) -> String? {
        guard let root = courtRoot else { return "this replica has no court root" }
        if g.publicKey.hex == root { return nil }
        let enrolled = enrollments[g.node] ?? []
        guard !enrolled.isEmpty else {
            return "its node \(g.node.short) is not enrolled in \(identity.court) (court root \(Self.fingerprint(root)))"
        }
        guard enrolled.contains(where: { $0.publicKey == g.publicKey }) else {
            return "its node \(g.node.short) signs with a key other than the one the court admin enrolled"
        }
        if let predecessor = g.predecessor, let before = origins[predecessor], before.node != g.node {
            return "it claims to continue origin \(predecessor.short), which belongs to another node"
        }
        return nil
    }

    /// A short, readable fingerprint of a court root (hex public key): its first 16 hex digits in groups.
    public static func fingerprint(_ rootHex: String) -> String {
        let digits = Array(rootHex.prefix(16))
        return stride(from: 0, to: digits.count, by: 4).map { String(digits[$0..<min($0 + 4, digits.count)]) }.joined(separator: " ")
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case 48...57: v = c - 48
            case 97...102: v = c - 87
            case 65...70: v = c - 55
            default: return []
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return out
    }

    /// The role the admin enrolled for this node (its latest enrollment); the admin's own role
    /// comes from its genesis, as the root needs no one to vouch for it.
    public var enrolledRole: Role {
        if isAdmin { return identity.role }
        let latest = (try? enrollments()[identity.node]?.last) ?? nil
        return latest?.role ?? identity.role
    }

    /// Origins whose operations are held because they are not members (yet).
    public func heldOrigins() throws -> [HeldOrigin] {
        try db.prepare(
            "SELECT h.origin, h.node, h.name, h.reason, (SELECT count(*) FROM held_ops o WHERE o.origin = h.origin) FROM held_origins h ORDER BY h.first_seen, h.origin"
        ).map { row in
            HeldOrigin(
                origin: row.blob(0).hex, node: row.blob(1).hex, name: row.text(2), operations: Int(row.int(4)), reason: row.text(3))
        }
    }

    // MARK: Holding

    /// What is known of a held origin: where its held log ends, to check a continuation.
    struct HeldHead {
        var node: NodeID
        var publicKey: [UInt8]
        var name: String
        var maxSeq: UInt64
        var headHash: [UInt8]
        /// Why it is held.
        var reason: String
    }

    func heldHead(_ origin: OriginID) throws -> HeldHead? {
        try db.cached("SELECT node, public_key, name, max_seq, head_hash, reason FROM held_origins WHERE origin = ?").bind(.blob(origin.bytes)).first { row in
            ID128(bytes: row.blob(0)).map {
                HeldHead(node: $0, publicKey: row.blob(1), name: row.text(2), maxSeq: UInt64(row.int(3)), headHash: row.blob(4), reason: row.text(5))
            }
        } ?? nil
    }

    /// Most operations held for origins that are not members, in all: beyond it, more are refused
    /// (a flash disk full of an outsider's operations must not fill the disk).
    static let maxHeldOperations = 1_000_000

    func heldCount() throws -> Int {
        Int(try db.cached("SELECT count(*) FROM held_ops").first { $0.int(0) } ?? 0)
    }
}
