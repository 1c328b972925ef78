import Crypto
import Foundation

/// A court member as `sinkron members` shows it.
public struct MemberEntry: Sendable, Codable, Equatable {
    public var node: String
    public var name: String
    public var role: String
    public var publicKey: String
    public var admin: Bool
    public var revoked: Bool
    public var enrolledBy: String?
}

/// A revocation: the node and, per origin of its, the last operation still accepted.
struct Revocation {
    var node: NodeID
    var keep: [OriginID: UInt64]
}

/// Court membership. The node that creates a court (`sinkron init` by `kasubbag` or `staf-ti`) is
/// its admin: its public key is the court root every member holds. Only the admin's enroll and
/// revoke operations count; enrollment is replicated data like any other.
extension Replica {
    /// The court root: the admin's public key (hex), from `meta`.
    public var courtRoot: String? {
        try? db.cached("SELECT value FROM meta WHERE key = 'court_root'").first { $0.text(0) } ?? nil
    }

    /// True when this node is the court's admin.
    public var isAdmin: Bool { courtRoot == identity.publicKey.hex }

    func isCourtAdmin(_ info: OriginInfo) -> Bool {
        guard let root = courtRoot else { return false }
        return info.publicKey.hex == root
    }

    func revocations() throws -> [NodeID: Revocation] {
        var out: [NodeID: Revocation] = [:]
        try db.cached("SELECT node, keep FROM revocations").forEach { row in
            guard let node = ID128(hex: row.text(0)) else { return }
            var keep: [OriginID: UInt64] = [:]
            for part in row.text(1).split(separator: ",") {
                if let op = Self.parseOp(String(part)) { keep[op.origin] = op.seq }
            }
            out[node] = Revocation(node: node, keep: keep)
        }
        return out
    }

    /// Whether a node is a member of this court: the admin itself, or enrolled with this key and
    /// not revoked.
    func membership(node: NodeID, publicKey: [UInt8]) throws -> PeerAuthorization {
        if let root = courtRoot, publicKey.hex == root {
            let known = origins.values.first { $0.node == node }
            return PeerAuthorization(allowed: true, reason: "court admin", name: known?.name, role: known?.role)
        }
        if try revocations()[node] != nil {
            return PeerAuthorization(allowed: false, reason: "node \(node.short) was revoked by the court admin")
        }
        guard
            let member = try db.cached("SELECT public_key, name, role FROM members WHERE node = ?").bind(.text(node.hex)).first({
                (key: $0.text(0), name: $0.text(1), role: Role(rawValue: $0.text(2)))
            })
        else {
            return PeerAuthorization(allowed: false, reason: "node \(node.short) is not enrolled in \(identity.court)")
        }
        guard member.key == publicKey.hex else {
            return PeerAuthorization(allowed: false, reason: "node \(node.short) presents a key other than the one it was enrolled with")
        }
        return PeerAuthorization(allowed: true, reason: "enrolled", name: member.name, role: member.role)
    }

    public func members() throws -> [MemberEntry] {
        let revoked = try revocations()
        let root = courtRoot
        var out = try db.prepare("SELECT node, name, role, public_key, enrolled_by FROM members ORDER BY name, node").map { r in
            MemberEntry(
                node: r.text(0), name: r.text(1), role: r.text(2), publicKey: r.text(3), admin: r.text(3) == root,
                revoked: ID128(hex: r.text(0)).map { revoked[$0] != nil } ?? false, enrolledBy: r.text(4))
        }
        if let root, !out.contains(where: { $0.publicKey == root }),
            let admin = origins.values.first(where: { $0.publicKey.hex == root })
        {
            out.insert(
                MemberEntry(node: admin.node.hex, name: admin.name, role: admin.role.rawValue, publicKey: root, admin: true, revoked: false, enrolledBy: nil),
                at: 0)
        }
        return out
    }

    /// Enrolls a new node and writes its invitation file: its identity and private key, the court
    /// root, and a bundle of this replica, so the desk's `sinkron init --invite FILE` starts with
    /// the membership and all data. The file holds a private key: carry it on a flash disk, then delete it.
    public func invite(name: String, role: Role, to path: String) throws -> MemberEntry {
        guard isAdmin else {
            throw ReplicaError(.notPermitted, "only the court admin enrolls nodes; this node is not the admin of \(identity.court)", hint: "run `sinkron invite` on the admin's PC")
        }
        let name = try Validation.text(name, "name")!
        if try members().contains(where: { $0.name == name && !$0.revoked }) {
            throw ReplicaError(.invalidInput, "a member is already named \(name)", hint: "choose another --name")
        }
        let key = Curve25519.Signing.PrivateKey()
        let member = Member(node: NodeID.random(), publicKey: Array(key.publicKey.rawRepresentation), name: name, role: role)
        try commit([.enroll(member)])
        var runs: [OperationRun] = []
        try missingRuns(since: VersionVector()) { runs.append($0) }
        var w = BinaryWriter(capacity: 4096)
        w.raw(Invitation.magic)
        w.u8(Invitation.version)
        w.string(identity.court)
        w.string(courtRoot ?? "")
        w.string(courtCode ?? "")
        w.id(member.node)
        w.data(Array(key.rawRepresentation))
        w.string(name)
        w.string(role.rawValue)
        w.data(Bundle.encode(court: identity.court, exporter: identity.name, runs: runs))
        // Version 2: the admin's court time, the new desk's first court time if its own is off.
        w.varint(courtTime)
        w.string(identity.name)
        try writeAtomically(w.bytes, to: path)
        chmod(path, 0o600)
        return MemberEntry(node: member.node.hex, name: name, role: role.rawValue, publicKey: member.publicKey.hex, admin: false, revoked: false, enrolledBy: nil)
    }

    /// Revokes a node (by name or node-id prefix). Everyone refuses its operations written after
    /// what this replica holds of it now.
    @discardableResult
    public func revoke(_ who: String) throws -> MemberEntry {
        guard isAdmin else {
            throw ReplicaError(.notPermitted, "only the court admin revokes nodes", hint: "run `sinkron revoke` on the admin's PC")
        }
        let matches = try members().filter { $0.name == who || (who.count >= 4 && $0.node.hasPrefix(who.lowercased())) }
        guard matches.count == 1, let target = matches.first, let node = ID128(hex: target.node) else {
            throw ReplicaError(matches.isEmpty ? .notFound : .ambiguous, "no single member matches \"\(who)\"", hint: "`sinkron members` lists them")
        }
        guard !target.admin else { throw ReplicaError(.invalidInput, "the admin cannot revoke itself") }
        guard !target.revoked else { throw ReplicaError(.invalidInput, "\(target.name) is already revoked") }
        let keep = origins.values.filter { $0.node == node }.map { OpID(origin: $0.origin, seq: $0.maxSeq) }
        try commit([.revoke(node: node, keep: keep)])
        var revoked = target
        revoked.revoked = true
        return revoked
    }
}

/// The invitation file an admin writes for a new desk.
enum Invitation {
    static let magic = Array("SINKRONI".utf8)
    static let version: UInt8 = 2

    struct Contents {
        var court: String
        var courtRoot: String
        var courtCode: String
        var node: NodeID
        var privateKey: [UInt8]
        var name: String
        var role: Role
        var bundle: [UInt8]
        /// The admin's court time when it wrote the invitation, and its name (version 2).
        var issued: (at: UInt64, by: String)?
    }

    static func read(_ path: String) throws -> Contents {
        let bytes = try readFile(path, limit: Bundle.maxBytes)
        guard bytes.count > magic.count, Array(bytes.prefix(magic.count)) == magic else {
            throw ReplicaError(.invalidInput, "\(path) is not a Sinkron invitation", hint: "the court admin writes one with `sinkron invite`")
        }
        do {
            var r = BinaryReader(bytes, offset: magic.count)
            let fileVersion = try r.u8()
            guard fileVersion == 1 || fileVersion == version else { throw ReplicaError(.invalidInput, "unsupported invitation version", hint: "update sinkron") }
            let court = try r.string(limit: 256)
            let root = try r.string(limit: 128)
            let code = try r.string(limit: 64)
            let node = try r.id()
            let key = try r.data(limit: 64)
            let name = try r.string(limit: 256)
            guard let role = Role(rawValue: try r.string(limit: 64)) else { throw CodecError.malformed("unknown role") }
            let bundle = try r.data(limit: Bundle.maxBytes)
            var issued: (at: UInt64, by: String)?
            if fileVersion >= 2 { issued = (try r.varint(), try r.string(limit: 256)) }
            guard r.isAtEnd else { throw CodecError.malformed("trailing bytes") }
            return Contents(
                court: court, courtRoot: root, courtCode: code, node: node, privateKey: key, name: name, role: role, bundle: bundle, issued: issued)
        } catch let error as CodecError {
            throw ReplicaError(.invalidInput, "the invitation is damaged: \(error)", hint: "ask the admin for a new one")
        }
    }
}
