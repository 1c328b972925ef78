import Foundation
import Replica
import Testing

@testable import SyncProtocol

/// Bad frames, forged data, impostors and stalls: each ends the session with a clear error,
/// tells the peer, and leaves the replica as it was.
@Suite("Session: bad input and faults")
struct SessionFaultTests {
    /// The admin's driver, started, with its replica's digest before anything arrived.
    struct Target {
        let court = Court()
        let replica: Replica
        /// An enrolled desk (enrolled before the digest was taken).
        let desk: Replica
        let driver: SessionDriver
        let out = MemoryTransport()
        let clock = FakeClock()
        let digest: String

        init() throws {
            replica = try court.admin()
            desk = try court.desk("desk", admin: replica)
            try replica.fileBugs(2, prefix: "admin")
            digest = try replica.digest()
            driver = SessionDriver(replica: replica, direction: .inbound, address: "memory:test", clock: clock, logger: quietLogger)
            driver.transport = out
            driver.start()
        }

        var frames: [Frame] { decodeAll(out.outbox) }

        /// The session failed with `code`, told the peer why, and changed nothing.
        func expectFailed(_ code: SyncError.Code, tellsPeer: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(driver.isOver, sourceLocation: sourceLocation)
            #expect(driver.summary.errorCode == code.rawValue, "got \(driver.summary.errorCode ?? "nil"): \(driver.summary.error ?? "")", sourceLocation: sourceLocation)
            #expect(!driver.summary.ok, sourceLocation: sourceLocation)
            if tellsPeer {
                #expect(frames.last.map { if case .error(let c, _) = $0 { c == code.rawValue } else { false } } == true, sourceLocation: sourceLocation)
            }
            #expect(out.closed, sourceLocation: sourceLocation)
            #expect(!frames.contains { if case .vector = $0 { true } else if case .batch = $0 { true } else { false } }, "data leaked", sourceLocation: sourceLocation)
            #expect(try replica.digest() == digest, sourceLocation: sourceLocation)
            // A peer that never authenticated leaves no merge-session row (the daemon counts it).
            #expect(!driver.authenticated, sourceLocation: sourceLocation)
            #expect(try replica.sessions(limit: 1).isEmpty, sourceLocation: sourceLocation)
        }
    }

    @Test("a length prefix above the limit is refused before its body is read")
    func oversizePrefix() throws {
        let t = try Target()
        t.driver.received([0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3])
        try t.expectFailed(.frameTooLarge)
        #expect(t.driver.summary.error?.contains("2147483647") == true)
    }

    @Test("an HTTP request is not mistaken for a frame")
    func http() throws {
        let t = try Target()
        t.driver.received(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        try t.expectFailed(.frameTooLarge)
    }

    @Test("an empty frame, an unknown type, and a short body are malformed", arguments: [
        [0, 0, 0, 0] as [UInt8],
        [0, 0, 0, 3, 0x99, 1, 2],
        [0, 0, 0, 2, 3, 5],  // vector frame announcing 5 entries, holding none
        [0, 0, 0, 4, 5, 1, 1, 9],  // ack frame with a trailing byte
    ])
    func garbage(bytes: [UInt8]) throws {
        let t = try Target()
        t.driver.received(bytes)
        try t.expectFailed(.malformed)
    }

    @Test("a frame cut short by the connection ending is never used")
    func truncated() throws {
        let t = try Target()
        let peer = t.desk
        let hello = Frame.hello(Hello(court: peer.identity.court, node: peer.identity.node, name: "desk", role: "meja-satu", publicKey: peer.identity.publicKey, challenge: Array(repeating: 7, count: 32))).encoded()
        t.driver.received(Array(hello.prefix(hello.count - 5)))
        #expect(!t.driver.isOver)
        t.driver.transportClosed(nil)
        try t.expectFailed(.connection, tellsPeer: false)
        #expect(t.driver.summary.error?.contains("during the handshake") == true)
    }

    @Test("another protocol version is refused with a clear error")
    func wrongVersion() throws {
        let t = try Target()
        var hello = Hello(court: "PN Bengkalis", node: .random(), name: "future", role: "staf-ti", publicKey: Array(repeating: 1, count: 32), challenge: Array(repeating: 2, count: 32))
        hello.version = Frame.protocolVersion + 1
        t.driver.received(Frame.hello(hello).encoded())
        try t.expectFailed(.version)
        #expect(t.driver.summary.error?.contains("version \(Frame.protocolVersion + 1)") == true)
    }

    @Test("a frame out of order is refused")
    func outOfOrder() throws {
        let t = try Target()
        t.driver.received(Frame.vector(VersionVector()).encoded())
        try t.expectFailed(.malformed)
        #expect(t.driver.summary.error?.contains("unexpected vector frame") == true)
    }

    @Test("a peer that signs with another key than the node it claims gets no data")
    func wrongKey() throws {
        let t = try Target()
        let desk = t.desk
        let impostor = try t.court.stranger()
        guard case .hello(let serverHello)? = t.frames.first else { Issue.record("no hello"); return }
        // Claims the enrolled desk's id and key, but holds only its own key.
        let fake = Hello(court: desk.identity.court, node: desk.identity.node, name: "desk", role: "meja-satu", publicKey: desk.identity.publicKey, challenge: Array(repeating: 9, count: 32))
        t.driver.received(Frame.hello(fake).encoded())
        let signature = try impostor.signChallenge(Session.transcript(signer: fake, verifier: serverHello))
        t.driver.received(Frame.auth(signature: signature).encoded())
        try t.expectFailed(.authentication)
    }

    @Test("a replayed auth signed for another session is refused")
    func replayedAuth() throws {
        let t = try Target()
        let desk = t.desk
        let hello = Hello(court: desk.identity.court, node: desk.identity.node, name: "desk", role: "meja-satu", publicKey: desk.identity.publicKey, challenge: Array(repeating: 9, count: 32))
        // Signed over another server challenge (an earlier session): it must not verify here.
        var old = hello
        old.challenge = Array(repeating: 3, count: 32)
        let stale = try desk.signChallenge(Session.transcript(signer: hello, verifier: old))
        t.driver.received(Frame.hello(hello).encoded())
        t.driver.received(Frame.auth(signature: stale).encoded())
        try t.expectFailed(.authentication)
    }

    @Test("a node of another court is refused and sees no data", arguments: ["PN Pekanbaru", "PN Bengkalis"])
    func wrongCourt(court: String) throws {
        let c = Court()
        let admin = try c.admin()
        try admin.fileBugs(2, prefix: "secret")
        let outsider = try c.stranger(court: court)
        let before = try admin.digest()
        let pair = SessionPair(client: outsider, server: admin)
        let (client, server) = pair.run()
        #expect(server.errorCode == SyncError.Code.refused.rawValue)
        #expect(!client.ok)
        #expect(server.error?.contains(court == "PN Bengkalis" ? "not enrolled" : "belongs to court") == true, "\(server.error ?? "")")
        // What the admin sent: hello, auth (proof of its own key), the error. No vector, no batch.
        #expect(pair.serverFrames.map(\.name) == ["hello", "auth", "error"])
        #expect(try admin.digest() == before)
        #expect(try outsider.list().isEmpty)
    }

    @Test("a forged operation inside a batch is refused: nothing of the batch is applied")
    func forgedBatch() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("desk", admin: admin)
        try desk.fileBugs(3, prefix: "desk")
        let before = try admin.digest()
        let pair = SessionPair(client: desk, server: admin)
        pair.start()
        pair.pump(limit: 6)
        var tampered = false
        pair.clientOut.outbox = pair.clientOut.outbox.map { bytes in
            var decoder = FrameDecoder()
            decoder.append(bytes)
            guard !tampered, case .batch(let id, var runs)? = try? decoder.next() else { return bytes }
            tampered = true
            runs[0].entries[runs[0].entries.count - 1].signature![5] ^= 0x40
            return Frame.batch(id: id, runs: runs).encoded()
        }
        #expect(tampered)
        pair.pump()
        #expect(pair.server.summary.errorCode == SyncError.Code.rejectedBatch.rawValue)
        #expect(pair.server.summary.error?.contains("does not verify") == true, "\(pair.server.summary.error ?? "")")
        #expect(pair.client.summary.errorCode == SyncError.Code.peer.rawValue)
        #expect(try admin.digest() == before)
        #expect(pair.server.summary.received == 0)
    }

    @Test("a replayed batch changes nothing")
    func replayedBatch() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("desk", admin: admin)
        try desk.fileBugs(3, prefix: "desk")
        let pair = SessionPair(client: desk, server: admin)
        pair.start()
        pair.pump(limit: 6)
        let batch = try #require(pair.clientOut.outbox.first { $0[4] == 4 })
        pair.pump()
        #expect(pair.server.summary.ok)
        let after = try admin.digest()
        let replay = SessionDriver(replica: admin, direction: .inbound, address: "replay", logger: quietLogger)
        let sink = MemoryTransport()
        replay.transport = sink
        replay.start()
        replay.received(batch)  // a batch before any handshake: refused outright
        #expect(replay.summary.errorCode == SyncError.Code.malformed.rawValue)
        _ = try admin.apply(decodeAll([batch]).compactMap { if case .batch(_, let runs) = $0 { runs } else { nil } }.flatMap { $0 })
        #expect(try admin.digest() == after)
    }

    @Test("the handshake must finish in time")
    func handshakeTimeout() throws {
        let t = try Target()
        t.clock.advance(4_000)
        t.driver.tick()
        #expect(!t.driver.isOver)
        t.clock.advance(1_001)
        t.driver.tick()
        try t.expectFailed(.timeout)
        #expect(t.driver.summary.error?.contains("handshake") == true)
    }

    @Test("a peer that stalls mid-frame hits the idle timeout; the partial frame is dropped")
    func stallMidFrame() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("desk", admin: admin)
        try desk.fileBugs(3, prefix: "desk")
        let before = try admin.digest()
        let pair = SessionPair(client: desk, server: admin)
        pair.start()
        pair.pump(limit: 6)
        let batch = try #require(pair.clientOut.outbox.first { $0[4] == 4 })
        pair.server.received(Array(batch.prefix(batch.count / 2)))
        pair.clock.advance(29_000)
        pair.server.tick()
        #expect(!pair.server.isOver)
        // Dribbling more of the frame is not activity: only whole frames count.
        pair.server.received([batch[batch.count / 2]])
        pair.clock.advance(1_001)
        pair.server.tick()
        #expect(pair.server.summary.errorCode == SyncError.Code.timeout.rawValue)
        #expect(try admin.digest() == before)
    }
}

func decodeAll(_ frames: [[UInt8]]) -> [Frame] {
    var decoder = FrameDecoder()
    for bytes in frames { decoder.append(bytes) }
    var out: [Frame] = []
    while let frame = try? decoder.next() { out.append(frame) }
    return out
}
