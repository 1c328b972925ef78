import Crypto
import Foundation
import Replica
import Testing

@testable import SyncProtocol

/// A session store held in memory: the protocol without SQLite or the merge. It keeps each
/// origin's entries as they came (a naive log), admits the keys it is told are members, and
/// checks nothing of the operations: what these tests look at is the session itself.
final class MemoryStore: SessionStore {
    let identity: NodeIdentity
    let courtRoot: String?
    var courtTime: UInt64 = 1_772_438_400_000
    let clockHops: UInt8 = 0
    private let key = Curve25519.Signing.PrivateKey()
    /// Every origin's entries, seq 1 first.
    var log: [OriginID: [OperationRun.Entry]] = [:]
    var members: Set<[UInt8]> = []
    /// Make `apply` fail as a refused batch does.
    var refuseBatches = false
    private(set) var rows: [Int64: (kind: String, outcome: String?, summary: SessionSummary?)] = [:]
    private(set) var idle = 0

    init(name: String, court: String = "PN Bengkalis", root: String) {
        identity = NodeIdentity(node: ID128(high: UInt64(name.hashValue.magnitude), low: 1), name: name, role: .stafTI, court: court, publicKey: Array(key.publicKey.rawRepresentation))
        courtRoot = root
    }

    /// Writes `count` operations under a new origin of its own (every one signed).
    func write(_ count: Int, origin: OriginID) {
        var entries = log[origin] ?? []
        for _ in 0..<count {
            courtTime += 1
            entries.append(.init(hlc: HLC(raw: courtTime << 16), payload: Array("op \(entries.count + 1)".utf8), signature: [UInt8](repeating: 1, count: 64)))
        }
        log[origin] = entries
    }

    func signChallenge(_ challenge: [UInt8]) throws -> [UInt8] { Array(try key.signature(for: Replica.challengeMessage(challenge))) }

    func authorize(node: NodeID, publicKey: [UInt8], court: String) throws -> PeerAuthorization {
        members.contains(publicKey) ? PeerAuthorization(allowed: true, reason: "", name: "member", role: .stafTI) : PeerAuthorization(allowed: false, reason: "not a member")
    }

    func vector() throws -> VersionVector { VersionVector(log.mapValues { UInt64($0.count) }) }

    func observePeerClock(_ peerTime: UInt64, hops: UInt8, peer: String, peerKey: [UInt8], receivedAt: UInt64) throws -> ClockCorrection? { nil }

    func nextBatch(after cursor: VersionVector, maxOperations: Int, runOperations: Int) throws -> [OperationRun] {
        var runs: [OperationRun] = []
        var total = 0
        for origin in log.keys.sorted() {
            let entries = log[origin]!
            let from = Int(cursor[origin])
            guard from < entries.count, total < maxOperations else { continue }
            let take = min(entries.count - from, maxOperations - total, runOperations)
            runs.append(OperationRun(origin: origin, firstSeq: UInt64(from + 1), entries: Array(entries[from..<from + take])))
            total += take
        }
        return runs
    }

    /// Batches applied with the merge deferred, and merges of what they left.
    private(set) var deferredBatches = 0
    private(set) var merges: [(session: Int64?, deferredBefore: Int)] = []

    func apply(_ runs: [OperationRun], session: Int64?, deferMerge: Bool) throws -> ApplyReport {
        if refuseBatches { throw ReplicaError(.badSignature, "refused by the test") }
        if deferMerge { deferredBatches += 1 }
        var report = ApplyReport()
        for run in runs {
            var entries = log[run.origin] ?? []
            for (i, entry) in run.entries.enumerated() {
                let seq = Int(run.firstSeq) + i
                if seq <= entries.count { report.duplicates += 1; continue }
                guard seq == entries.count + 1 else { report.gaps.append("\(run.origin.short) at \(seq)"); break }
                entries.append(entry)
                report.applied[run.origin.hex, default: 0] += 1
            }
            log[run.origin] = entries
        }
        return report
    }

    func mergeUnmerged(session: Int64?) throws -> Int {
        merges.append((session, deferredBatches))
        return 0
    }

    func beginSession(kind: String, peer: String?, address: String?, startedAt: UInt64?) throws -> Int64 {
        let id = Int64(rows.count + 1)
        rows[id] = (kind, nil, nil)
        return id
    }

    func endSession(_ id: Int64, summary: SessionSummary, outcome: String) throws { rows[id] = (rows[id]?.kind ?? "?", outcome, summary) }

    func recordIdleSession(kind: String, peer: String, address: String?, startedAt: UInt64, summary: SessionSummary) throws -> Int64 {
        idle += 1
        return 99
    }
}

/// Sessions driven against stores in memory: handshake, vectors, bounded batches, acks, the
/// end, and the refusals, with no replica file anywhere.
@Suite("Session: the state machine against in-memory stores")
struct SessionStoreTests {
    static let root = String(repeating: "ab", count: 32)

    static func court() -> (MemoryStore, MemoryStore) {
        let a = MemoryStore(name: "a", root: root)
        let b = MemoryStore(name: "b", root: root)
        a.members = [b.identity.publicKey]
        b.members = [a.identity.publicKey]
        return (a, b)
    }

    @Test("each side gets what it lacked, in bounded batches, and both end in sync")
    func exchange() throws {
        let (a, b) = Self.court()
        let originA = ID128(high: 0xA, low: 1)
        let originB = ID128(high: 0xB, low: 1)
        a.write(23, origin: originA)
        b.write(9, origin: originB)
        b.log[originA] = Array(a.log[originA]!.prefix(4))  // b already holds a's first four
        var config = SessionConfig()
        config.maxBatchOperations = 5
        let pair = SessionPair(client: a, server: b, config: config)
        let (client, server) = pair.run()
        #expect(client.ok && server.ok, "\(client.error ?? "") \(server.error ?? "")")
        #expect(client.inSync && server.inSync)
        #expect(try a.vector() == b.vector())
        let same = a.log == b.log
        #expect(same, "both logs hold every entry")
        #expect(client.sent == 19 && client.sentByOrigin == [originA.hex: 19] && server.received == 19)
        #expect(server.sent == 9 && client.receivedByOrigin == [originB.hex: 9])
        let batches = pair.clientFrames.filter { $0.name == "batch" }.count
        #expect(batches == 4, "19 operations in batches of at most 5")
        // Both wrote their merge-session row, closed with the summary.
        #expect(a.rows.values.map(\.outcome) == ["ok"] && b.rows.values.map(\.outcome) == ["ok"])
        #expect(a.rows.values.first?.summary?.sent == 19)
        // Every batch went to the log with its merge deferred, merged once when the session ended,
        // under the session's row.
        #expect(b.deferredBatches == 4 && b.merges.count == 1 && b.merges.first?.deferredBefore == 4)
        #expect(b.merges.first?.session == b.rows.keys.first && a.merges.count == 1)
    }

    @Test("a second session between equal stores is idle: vectors only, one idle record")
    func idle() throws {
        let (a, b) = Self.court()
        a.write(3, origin: ID128(high: 1, low: 1))
        _ = SessionPair(client: a, server: b).run()
        let (client, server) = SessionPair(client: a, server: b).run()
        #expect(client.ok && server.ok && client.sent == 0 && client.received == 0)
        #expect(a.idle == 1 && b.idle == 1)
    }

    @Test("a peer that is not a member gets nothing, and nothing is recorded")
    func stranger() throws {
        let (a, b) = Self.court()
        b.members = []
        a.write(5, origin: ID128(high: 1, low: 1))
        let (client, _) = SessionPair(client: a, server: b).run()
        #expect(!client.ok)
        // The server wrote nothing for a stranger; the client, which knew the server as a
        // member, closed its row as failed.
        #expect(b.log.isEmpty && b.rows.isEmpty)
        #expect(a.rows.values.allSatisfy { $0.outcome?.hasPrefix("failed") == true })
    }

    @Test("a refused batch ends the session with the reason, and nothing of it stays")
    func refusedBatch() throws {
        let (a, b) = Self.court()
        a.write(5, origin: ID128(high: 1, low: 1))
        b.refuseBatches = true
        let (client, server) = SessionPair(client: a, server: b).run()
        #expect(!client.ok && !server.ok)
        #expect(server.errorCode == SyncError.Code.rejectedBatch.rawValue, "\(server.errorCode ?? "")")
        #expect(b.log.isEmpty)
    }

    @Test("a store of another court root fails the handshake")
    func anotherRoot() throws {
        let (a, _) = Self.court()
        let other = MemoryStore(name: "c", root: String(repeating: "cd", count: 32))
        other.members = [a.identity.publicKey]
        a.members.insert(other.identity.publicKey)
        let (client, server) = SessionPair(client: a, server: other).run()
        #expect(!client.ok && !server.ok)
        // Neither side got past the handshake: no data, no merge-session row either side.
        #expect(other.log.isEmpty && a.rows.isEmpty && other.rows.isEmpty)
    }
}
