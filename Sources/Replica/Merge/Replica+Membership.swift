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

    func isCourtAdmin(_ info: OriginInfo) -> Bool { isCourtAdmin(publicKey: info.publicKey) }

    func isCourtAdmin(publicKey: [UInt8]) -> Bool {
        guard let root = courtRoot else { return false }
        return publicKey.hex == root
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
            return PeerAuthorization(
                allowed: false,
                reason: "node \(node.short) is not enrolled in \(identity.court) (court root \(Self.fingerprint(courtRoot ?? ""))): a court of the same name with another root is another court")
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

    /// Enrolls a new node and writes its invitation file (see `Invitation`): the desk's
    /// identity, its private key sealed under a one-time code, the court root, and a bundle of
    /// this replica, all signed by the admin. Returns the member and the code, which the admin
    /// hands over apart from the file (read out, or on paper), never on the same flash disk.
    public func invite(name: String, role: Role, to path: String, force: Bool = false, strength: Invitation.Strength = .standard) throws -> InvitationReceipt {
        guard isAdmin else {
            throw ReplicaError(.notPermitted, "only the court admin enrolls nodes; this node is not the admin of \(identity.court)", hint: "enroll the desk on the admin's PC")
        }
        let name = try Validation.text(name, "name")!
        if try members().contains(where: { $0.name == name && !$0.revoked }) {
            throw ReplicaError(.invalidInput, "a member is already named \(name)", hint: "choose another name")
        }
        let target = try OutputTarget(path, force: force, replicaHome: home)
        // A court founded by an older Sinkron gets its calendar (and, if its book is empty, its
        // book) now, so the invitation carries them to the desk.
        try seedCourtData(adoptFlows: try book().isEmpty)
        let key = entropy.signingKey()
        let member = Member(node: entropy.id(), publicKey: Array(key.publicKey.rawRepresentation), name: name, role: role)
        try commit([.enroll(member)])
        var runs: [OperationRun] = []
        try missingRuns(since: VersionVector()) { runs.append($0) }
        let code = Invitation.newCode(using: entropy)
        let contents = Invitation.Contents(
            court: identity.court, courtRoot: courtRoot ?? "", courtCode: courtCode ?? "", node: member.node, publicKey: member.publicKey,
            name: name, role: role, issuedAt: courtTime, issuedBy: identity.name,
            bundle: Bundle.encode(court: identity.court, root: courtRoot ?? "", exporter: identity.name, runs: runs))
        let bytes = try Invitation.encode(contents, privateKey: Array(key.rawRepresentation), code: code, strength: strength, signer: privateKey, entropy: entropy)
        try target.write(bytes)
        let entry = MemberEntry(node: member.node.hex, name: name, role: role.rawValue, publicKey: member.publicKey.hex, admin: false, revoked: false, enrolledBy: nil)
        return InvitationReceipt(member: entry, code: code, path: path)
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

