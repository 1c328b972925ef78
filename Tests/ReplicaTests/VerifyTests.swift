import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// `verify` finds every kind of damage to the log, and only where it is.
@Suite("verify") final class VerifyTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    @Test func aFreshAndABusyReplicaVerify() throws {
        let a = try sandbox.founder("a", role: .mejaSatu)
        let fresh = try a.verify()
        #expect(fresh.ok && fresh.origins == 1 && fresh.operations == 1 + Sandbox.seed && fresh.signatures == 3, "genesis, then the seeded calendar and book, each signed at its head")
        let b = try sandbox.member("b", role: .stafTI, invitedBy: a)
        try b.fill(records: 50, sets: 200, batch: 64, seed: 1) { _ in }
        try Exchange.runs(from: b, to: a)
        try a.commit((0..<30).map { .comment(record: ID128(high: 1, low: UInt64($0)), text: "c") }, signEvery: 7)
        let busy = try a.verify()
        #expect(busy.ok, "\(busy.problems)")
        #expect(busy.origins == 2 && busy.operations == 1 + Sandbox.seed + 1 + 30 + 251, "the founder's genesis, seeded court data and enrollment of b, b's log, the comments")
    }

    enum Damage: String, CaseIterable, Sendable {
        case bodySwapped, bodyGarbage, middleOpDeleted, lastOpDeleted, clockEdited, signatureZeroed, lastSignatureDropped, headHashEdited, keyReplaced
    }

    @Test(arguments: Damage.allCases)
    func damageIsReported(damage: Damage) throws {
        let a = try sandbox.replica("a", role: .mejaSatu)
        let b = try sandbox.replica("b", role: .stafTI)
        for i in 0..<6 { try a.commit([.comment(record: ID128(high: 9, low: 9), text: "komentar \(i)")]) }
        try Exchange.runs(from: b, to: a)
        let idx = try #require(a.origins[a.origin]?.idx)
        let last = try a.vector()[a.origin]
        let ops = "ops WHERE origin_idx = \(idx)"
        switch damage {
        case .bodySwapped: try a.executeRaw("UPDATE ops SET body = (SELECT body FROM \(ops) AND seq = 4) WHERE origin_idx = \(idx) AND seq = 3")
        case .bodyGarbage: try a.executeRaw("UPDATE ops SET body = X'00FF' WHERE origin_idx = \(idx) AND seq = 3")
        case .middleOpDeleted: try a.executeRaw("DELETE FROM \(ops) AND seq = 3")
        case .lastOpDeleted: try a.executeRaw("DELETE FROM \(ops) AND seq = \(last)")
        case .clockEdited: try a.executeRaw("UPDATE ops SET hlc = hlc + 1 WHERE origin_idx = \(idx) AND seq = 3")
        case .signatureZeroed: try a.executeRaw("UPDATE ops SET sig = zeroblob(64) WHERE origin_idx = \(idx) AND seq = \(last)")
        case .lastSignatureDropped: try a.executeRaw("UPDATE ops SET sig = NULL WHERE origin_idx = \(idx) AND seq = \(last)")
        case .headHashEdited: try a.executeRaw("UPDATE origins SET head_hash = zeroblob(32) WHERE idx = \(idx)")
        case .keyReplaced: try a.executeRaw("UPDATE origins SET public_key = X'\(b.identity.publicKey.hex)' WHERE idx = \(idx)")
        }
        let report = try a.verify()
        #expect(!report.ok)
        #expect(report.problems.count == 1, "\(report.problems)")
        #expect(report.problems.first?.contains(a.origin.short) == true, "the problem names the damaged origin")
        #expect(try b.verify().ok)
    }

    /// Import and verify walk a log with one checker (`ChainWalk`): a log whose clock falls,
    /// though its chain and signature are genuine (made with the node's own key), is refused
    /// by import and reported by verify, for the same reason.
    @Test func importAndVerifyRefuseTheSameFallingClock() throws {
        // Members of one court: their own origins hold only their genesis.
        let forger = try sandbox.replica("forger", role: .mejaSatu)
        let receiver = try sandbox.replica("receiver", role: .stafTI)
        let origin = forger.origin
        let idx = try #require(forger.origins[origin]?.idx)
        let genesis = try #require(try forger.rows("SELECT hlc, hex(body) FROM ops WHERE origin_idx = \(idx) AND seq = 1").first)
        var walk = ChainWalk(origin: origin)
        var entries: [OperationRun.Entry] = []
        let start = UInt64(genesis[0])!
        for (seq, hlc) in [(1, start), (2, start + 10), (3, start + 5)] as [(UInt64, UInt64)] {
            let payload = seq == 1
                ? Replica.bytes(hex: genesis[1])
                : Operation(origin: origin, seq: seq, hlc: HLC(raw: hlc), author: "", body: .comment(record: ID128(high: 1, low: 1), text: "mundur \(seq)")).encodePayload()
            let hash = Array(walk.append(hlc: HLC(raw: hlc), payload: payload))
            let signature = seq == 3 ? try Chain.sign(origin: origin, seq: seq, hash: hash, key: forger.privateKey) : nil
            entries.append(.init(hlc: HLC(raw: hlc), payload: payload, signature: signature))
        }
        let run = OperationRun(origin: origin, firstSeq: 1, entries: entries)
        let digest = try receiver.digest()
        #expect(throws: ReplicaError.self) { try receiver.apply([run]) }
        do { try receiver.apply([run]) } catch let error as ReplicaError {
            #expect(error.code == .brokenChain && error.message.contains("\(origin.short):3 has a clock that does not rise"), "\(error)")
        }
        #expect(try receiver.digest() == digest)
        // The same log stored by hand (chain and head consistent) is what verify reports.
        for (i, entry) in entries.enumerated().dropFirst() {
            try forger.executeRaw(
                "INSERT INTO ops(origin_idx, seq, hlc, body, sig) VALUES (\(idx), \(i + 1), \(entry.hlc.raw), X'\(entry.payload.hex)', "
                    + (entry.signature.map { "X'\($0.hex)'" } ?? "NULL") + ")")
        }
        try forger.executeRaw("UPDATE origins SET max_seq = 3, head_hash = X'\(walk.hash.hex)' WHERE idx = \(idx)")
        let report = try forger.verify()
        #expect(report.problems == ["origin \(origin.short) (forger): the clock of operation 3 does not rise from the one before"], "\(report.problems)")
    }
}
