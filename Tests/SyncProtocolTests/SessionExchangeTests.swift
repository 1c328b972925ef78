import Foundation
import Replica
import Testing

@testable import SyncProtocol

/// Two real replicas, one session state machine each, joined in memory.
@Suite("Session: full exchanges over an in-memory transport")
struct SessionExchangeTests {
    @Test("both sides send what the other lacks and end with equal digests")
    func fullExchange() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("meja-satu", admin: admin)
        try admin.fileBugs(5, prefix: "admin")
        try desk.fileBugs(7, prefix: "desk")
        #expect(try admin.digest() != desk.digest())

        let pair = SessionPair(client: desk, server: admin)
        let (client, server) = pair.run()
        #expect(client.ok, "\(client.error ?? "")")
        #expect(server.ok, "\(server.error ?? "")")
        #expect(client.inSync && server.inSync)
        #expect(try admin.digest() == desk.digest())
        #expect(client.sent == server.received && server.sent == client.received)
        #expect(client.received > 0 && client.sent >= 7)
        #expect(client.duplicates == 0 && server.duplicates == 0)

        // Both sides logged the session; the ops that came in name it.
        let clientRow = try #require(try desk.sessions(limit: 1).first)
        #expect(clientRow.kind == "sync-out" && clientRow.outcome == "ok" && clientRow.received == client.received && clientRow.peer == "kasubbag")
        #expect(clientRow.bytesIn == client.bytesIn && clientRow.bytesOut == client.bytesOut)
        let serverRow = try #require(try admin.sessions(limit: 1).first)
        #expect(serverRow.kind == "sync-in" && serverRow.outcome == "ok" && serverRow.peer == "meja-satu")
        let record = try #require(try desk.list(kind: nil, openOnly: false, overdueOnly: false).first { $0.title.hasPrefix("record") })
        let history = try desk.history(record.id)
        #expect(history.contains { $0.session == client.session })
    }

    @Test("a second session between equal replicas exchanges vectors only")
    func idleSession() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("meja-satu", admin: admin)
        try desk.fileBugs(3, prefix: "desk")
        _ = SessionPair(client: desk, server: admin).run()
        let pair = SessionPair(client: desk, server: admin)
        let (client, server) = pair.run()
        #expect(client.ok && server.ok && client.inSync)
        #expect(client.sent == 0 && client.received == 0)
        #expect(!pair.clientFrames.contains { if case .batch = $0 { true } else { false } })
        #expect(!pair.serverFrames.contains { if case .batch = $0 { true } else { false } })
    }

    @Test("idle sessions share one merge-session row per peer: the replica does not grow with them")
    func idleSessionsShareARow() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("meja-satu", admin: admin)
        try desk.fileBugs(2, prefix: "desk")
        #expect(SessionPair(client: desk, server: admin).run().client.sent > 0)
        let rowsBefore = try admin.sessions(limit: 100).count
        for _ in 0..<20 { #expect(SessionPair(client: desk, server: admin).run().client.ok) }
        let rows = try admin.sessions(limit: 100)
        #expect(rows.count == rowsBefore + 1)
        let idle = try #require(rows.first)
        #expect(idle.outcome == "ok: 20 idle sessions" && idle.received == 0 && idle.peer == "meja-satu", "\(idle)")
        #expect(idle.detail?.contains("\"idleSessions\":20") == true)
        #expect(try desk.sessions(limit: 100).first?.outcome == "ok: 20 idle sessions")
        // A session that brings something gets its own row; the next idle one starts a new count.
        try desk.fileBugs(1, prefix: "again")
        _ = SessionPair(client: desk, server: admin).run()
        _ = SessionPair(client: desk, server: admin).run()
        let after = try admin.sessions(limit: 3)
        #expect(after.map(\.outcome) == ["ok", "ok", "ok: 20 idle sessions"])
        #expect(after[0].detail?.contains("\"idleSessions\":1") == true && after[1].received > 0)
    }

    @Test("operations of a third node are relayed: C → B → A, A and C never meet")
    func relay() throws {
        let court = Court()
        let a = try court.admin()
        let b = try court.desk("b", admin: a)
        let c = try court.desk("c", admin: a)
        try c.fileBugs(4, prefix: "c")
        try a.fileBugs(2, prefix: "a")
        // B learns of C's enrollment (written on A after B joined) before C can sync with it.
        #expect(SessionPair(client: b, server: a).run().client.ok)
        #expect(SessionPair(client: c, server: b).run().client.ok)
        #expect(SessionPair(client: b, server: a).run().client.ok)
        #expect(SessionPair(client: c, server: b).run().client.ok)
        let digest = try a.digest()
        #expect(try b.digest() == digest)
        #expect(try c.digest() == digest)
        #expect(try a.list(kind: nil, openOnly: false, overdueOnly: false).filter { $0.title.hasPrefix("c bug") }.count == 4)
    }

    @Test("large exchanges move in bounded batches, at most two unacknowledged")
    func boundedBatches() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("meja-satu", admin: admin)
        try desk.fill(records: 50, sets: 1_200, batch: 100, seed: 7) { _ in }
        try admin.fill(records: 20, sets: 300, batch: 50, seed: 8) { _ in }
        var config = SessionConfig()
        config.maxBatchOperations = 100
        let pair = SessionPair(client: desk, server: admin, config: config)
        pair.start()
        pair.pump()
        #expect(pair.client.summary.ok && pair.server.summary.ok)
        let batches = pair.clientFrames.compactMap { frame -> Int? in
            if case .batch(_, let runs) = frame { return runs.reduce(0) { $0 + $1.entries.count } } else { return nil }
        }
        #expect(batches.count >= 12)
        // About 100: a batch ends at a signed operation, and `fill` signs once per 100-operation commit.
        #expect(batches.allSatisfy { $0 < 200 })
        #expect(try admin.digest() == desk.digest())
    }

    @Test("window: a sender never has more than two batches unacknowledged")
    func window() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("meja-satu", admin: admin)
        try desk.fill(records: 10, sets: 500, batch: 10, seed: 3) { _ in }
        var config = SessionConfig()
        config.maxBatchOperations = 20
        let pair = SessionPair(client: desk, server: admin, config: config)
        pair.start()
        // Hand-deliver: everything from the client, nothing back after the handshake.
        // Deliver until the client streams, then nothing more either way: no ack comes back,
        // so it stops at the window.
        for _ in 0..<50 where !pair.clientOut.names.contains("batch") { pair.pump(limit: pair.delivered + 1) }
        #expect(pair.clientOut.names.filter { $0 == "batch" }.count == Session.window)
        #expect(pair.clientOut.names.last == "batch")
    }

    @Test("a bounded batch never exceeds the byte limit when runs are small")
    func byteBound() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("meja-satu", admin: admin)
        try desk.fill(records: 30, sets: 600, batch: 5, seed: 11) { _ in }
        var config = SessionConfig()
        config.maxBatchBytes = 8 * 1024
        let pair = SessionPair(client: desk, server: admin, config: config)
        let (client, _) = pair.run()
        #expect(client.ok)
        for frame in pair.clientFrames {
            if case .batch = frame { #expect(frame.encoded().count <= 8 * 1024 + 1024) }
        }
        #expect(try admin.digest() == desk.digest())
    }
}
