import Crypto
import Foundation

/// Whether a peer may sync with this replica.
public struct PeerAuthorization: Sendable, Equatable {
    public var allowed: Bool
    /// Why not, in words for the log.
    public var reason: String
    /// The peer's enrolled name and role, when known.
    public var name: String?
    public var role: Role?

    public init(allowed: Bool, reason: String, name: String? = nil, role: Role? = nil) {
        self.allowed = allowed
        self.reason = reason
        self.name = name
        self.role = role
    }
}

/// What the sync protocol needs from a replica: identity, proof of key, membership, the
/// vector, bounded batches of what a peer lacks, and an atomic apply.
extension Replica {
    /// Signs a handshake challenge with this node's key (domain-separated from operation signatures).
    public func signChallenge(_ challenge: [UInt8]) throws -> [UInt8] {
        Array(try privateKey.signature(for: Self.challengeMessage(challenge)))
    }

    /// Checks a peer's signature over a challenge this side sent.
    public static func verifyChallenge(_ challenge: [UInt8], signature: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == 64, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: challengeMessage(challenge))
    }

    /// What a node key signs for the handshake: the challenge after a domain prefix, so that it
    /// can never pass for an operation's signature.
    public static func challengeMessage(_ challenge: [UInt8]) -> [UInt8] { Array("sinkron.handshake.v1".utf8) + challenge }

    /// Whether the node with this id and key, claiming this court, may sync with us.
    public func authorize(node: NodeID, publicKey: [UInt8], court: String) throws -> PeerAuthorization {
        guard court == identity.court else {
            return PeerAuthorization(allowed: false, reason: "peer belongs to court \"\(court)\", this node to \"\(identity.court)\"")
        }
        return try membership(node: node, publicKey: publicKey)
    }

    /// Operations per run in a batch (an origin with more goes as several runs, each cut at a
    /// signed operation). Receivers verify a run as a unit; older versions hold a whole run
    /// decoded, about 300 bytes an operation, and refuse runs beyond `OperationRun.maxEntries`.
    public static let batchRunEntries = 16_384

    /// The next bounded batch of runs that a peer holding `cursor` lacks: per origin in seq order,
    /// each run ending at a signed operation and holding about `runOperations` operations (more
    /// only when its origin signs less often), about `maxOperations` operations in all.
    public func nextBatch(after cursor: VersionVector, maxOperations: Int, runOperations: Int = Replica.batchRunEntries) throws -> [OperationRun] {
        var batch: [OperationRun] = []
        var total = 0
        try db.read {
            // The admin's origins first: their enrollments admit the members' operations that
            // follow, so a receiver never has to hold those for want of an enrollment still to come.
            let root = Self.bytes(hex: courtRoot ?? "")
            let heads = try db.cached("SELECT idx, origin, max_seq FROM origins ORDER BY public_key = ? DESC, origin").bind(.blob(root))
                .map { ($0.int(0), ID128(bytes: $0.blob(1)), UInt64($0.int(2))) }
            for (idx, originID, maxSeq) in heads {
                guard total < maxOperations, let origin = originID, maxSeq > cursor[origin] else { continue }
                var run = OperationRun(origin: origin, firstSeq: cursor[origin] + 1, entries: [])
                var pending: [OperationRun.Entry] = []
                try LogReader(db).scan(origin: idx, from: cursor[origin] + 1) { entry in
                    let signature = entry.signature
                    pending.append(OperationRun.Entry(hlc: HLC(raw: entry.hlc), payload: entry.body, signature: signature))
                    guard signature != nil else { return true }
                    if !run.entries.isEmpty, run.entries.count + pending.count > runOperations {
                        total += run.entries.count
                        batch.append(run)
                        run = OperationRun(origin: origin, firstSeq: run.lastSeq + 1, entries: [])
                    }
                    run.entries.append(contentsOf: pending)
                    pending.removeAll(keepingCapacity: true)
                    return total + run.entries.count < maxOperations
                }
                if !run.entries.isEmpty {
                    total += run.entries.count
                    batch.append(run)
                }
            }
        }
        return batch
    }
}
