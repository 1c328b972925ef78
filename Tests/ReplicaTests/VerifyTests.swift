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
}
