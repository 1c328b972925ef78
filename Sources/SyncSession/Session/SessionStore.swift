import Foundation
import Replica

/// What a session needs from the replica it syncs, and all it may do with it: identity and proof
/// of key, membership, court time, the vector, bounded batches of what the peer lacks, an atomic
/// apply, and the merge-session row. `Replica` is the store of every real session; tests drive
/// sessions against stores held in memory (no SQLite), so the protocol is tested apart from the
/// merge.
public protocol SessionStore: AnyObject {
    var identity: NodeIdentity { get }
    /// The court root (hex), which goes into the handshake's prologue.
    var courtRoot: String? { get }
    /// Court time (ms) and this node's hops from the admin's clock.
    var courtTime: UInt64 { get }
    var clockHops: UInt8 { get }
    /// Signs a handshake message with the node key (`Replica.challengeMessage` domain).
    func signChallenge(_ challenge: [UInt8]) throws -> [UInt8]
    /// Whether the node proven in the handshake may sync with this one.
    func authorize(node: NodeID, publicKey: [UInt8], court: String) throws -> PeerAuthorization
    func vector() throws -> VersionVector
    /// A member's hello said its court time: the store may correct its own.
    func observePeerClock(_ peerTime: UInt64, hops: UInt8, peer: String, peerKey: [UInt8], receivedAt: UInt64) throws -> ClockCorrection?
    /// The next runs a peer holding `cursor` lacks, about `maxOperations` operations, each run
    /// ending at a signed operation.
    func nextBatch(after cursor: VersionVector, maxOperations: Int, runOperations: Int) throws -> [OperationRun]
    /// Applies a batch whole or not at all; with `deferMerge`, to the log only, merged into the
    /// tables by `mergeUnmerged` (see `Replica.apply`).
    func apply(_ runs: [OperationRun], session: Int64?, deferMerge: Bool) throws -> ApplyReport
    /// Merges what batches applied with `deferMerge` left in the log; the conflicts found.
    func mergeUnmerged(session: Int64?) throws -> Int
    /// Opens the merge-session row; returns its id.
    func beginSession(kind: String, peer: String?, address: String?, startedAt: UInt64?) throws -> Int64
    /// Closes the row with what the session did.
    func endSession(_ id: Int64, summary: SessionSummary, outcome: String) throws
    /// Records a session that exchanged nothing (one row per peer absorbs them); its id.
    func recordIdleSession(kind: String, peer: String, address: String?, startedAt: UInt64, summary: SessionSummary) throws -> Int64
}

extension Replica: SessionStore {
    public func endSession(_ id: Int64, summary: SessionSummary, outcome: String) throws {
        try endSession(
            id, received: summary.received, sent: summary.sent, conflicts: summary.conflicts, bytesIn: summary.bytesIn, bytesOut: summary.bytesOut,
            outcome: outcome, detail: summary, peer: summary.peerName)
    }

    public func recordIdleSession(kind: String, peer: String, address: String?, startedAt: UInt64, summary: SessionSummary) throws -> Int64 {
        try recordIdleSession(kind: kind, peer: peer, address: address, startedAt: startedAt, bytesIn: summary.bytesIn, bytesOut: summary.bytesOut, detail: summary)
    }
}
