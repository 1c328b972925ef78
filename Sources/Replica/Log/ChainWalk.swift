import Crypto
import Foundation

/// One walk along an origin's log: the only code that steps through a chain. Import (sync,
/// bundles, invitations, relays) and `verify` check every operation with `check`, so they refuse
/// the same things; this node's own writes extend the chain with `append`.
///
/// What `check` enforces, in seq order from wherever the walk starts:
/// - the payload decodes;
/// - operation 1 is the origin's genesis, and no later operation is one (the genesis names the
///   key the rest is signed with);
/// - the clock rises strictly from one operation to the next;
/// - the chain hash `Chain.next` of each, and each signature present verifies under the key.
///
/// A log's last operation must be signed (a run ends at a signature); the walk reports how far
/// the signatures reach (`lastSigned`), and its callers decide what an unsigned tail means.
struct ChainWalk {
    enum Problem: Error, Equatable {
        case malformed(seq: UInt64, reason: String)
        /// Operation 1 is not a genesis.
        case noGenesis
        /// A genesis after operation 1.
        case restarted(seq: UInt64)
        case clockDoesNotRise(seq: UInt64)
        /// The walk started past operation 1 without the origin's key.
        case noKey
        case badSignature(seq: UInt64)
    }

    let origin: OriginID
    /// The seq the next operation must have.
    private(set) var nextSeq: UInt64
    /// The key signatures are checked with: the genesis's, or the one the walk started with.
    private(set) var key: [UInt8]?
    private(set) var lastHLC: HLC?
    /// The last seq whose signature verified (0: none yet).
    private(set) var lastSigned: UInt64 = 0
    private var head: [UInt8]
    private var digest: SHA256Digest?

    /// A walk from the start of an origin's log.
    init(origin: OriginID) {
        self.init(origin: origin, after: 0, head: Chain.initialHash(origin: origin), lastHLC: nil, key: nil)
    }

    /// A walk that continues after `seq`, whose chain hash is `head` and clock `lastHLC`.
    init(origin: OriginID, after seq: UInt64, head: [UInt8], lastHLC: HLC?, key: [UInt8]?) {
        self.origin = origin
        nextSeq = seq + 1
        self.head = head
        self.lastHLC = lastHLC
        self.key = key
    }

    /// The chain hash after the last operation walked.
    var hash: [UInt8] { digest.map { Array($0) } ?? head }

    /// Checks the next operation and steps past it: its decoded form and its chain hash.
    mutating func check(hlc: HLC, payload: [UInt8], signature: [UInt8]?) throws(Problem) -> (Operation, SHA256Digest) {
        let seq = nextSeq
        let op: Operation
        do {
            op = try Operation.decode(origin: origin, seq: seq, hlc: hlc, payload: payload)
        } catch {
            throw .malformed(seq: seq, reason: "\(error)")
        }
        if case .genesis(let g) = op.body {
            guard seq == 1 else { throw .restarted(seq: seq) }
            key = g.publicKey
        } else if seq == 1 {
            throw .noGenesis
        }
        guard let key else { throw .noKey }
        if let lastHLC, hlc <= lastHLC { throw .clockDoesNotRise(seq: seq) }
        let next = step(hlc: hlc, payload: payload)
        if let signature {
            guard Chain.verify(origin: origin, seq: seq, hash: Array(next), signature: signature, publicKey: key) else { throw .badSignature(seq: seq) }
            lastSigned = seq
        }
        return (op, next)
    }

    /// Extends the chain with an operation this node writes (its checks are the writer's): the
    /// chain hash after it.
    mutating func append(hlc: HLC, payload: [UInt8]) -> SHA256Digest {
        step(hlc: hlc, payload: payload)
    }

    private mutating func step(hlc: HLC, payload: [UInt8]) -> SHA256Digest {
        let next =
            if let digest { Chain.nextDigest(previous: digest, origin: origin, seq: nextSeq, hlc: hlc, payload: payload) }
            else { Chain.nextDigest(previous: head, origin: origin, seq: nextSeq, hlc: hlc, payload: payload) }
        digest = next
        lastHLC = hlc
        nextSeq += 1
        return next
    }
}
