import Crypto
import Foundation
import Replica
import Testing

@testable import SyncProtocol
@testable import SyncSession

/// Bad input, impostors, old peers, tampering relays and stalls: each ends the session with a
/// clear error, tells the peer, and leaves the replica as it was.
@Suite("Session: bad input and faults")
struct SessionFaultTests {
    /// The admin's driver (the responder), started, with its replica's digest before anything arrived.
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
            driver = SessionDriver(store: replica, direction: .inbound, address: "memory:test", clock: clock, logger: quietLogger)
            driver.transport = out
            driver.start()
        }

        /// What the target said in clear text (its errors decode as version 2's error frames).
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
            #expect(!out.names.contains { $0 != "clear" }, "the target sent frames inside a channel: \(out.names)", sourceLocation: sourceLocation)
            #expect(try replica.digest() == digest, sourceLocation: sourceLocation)
            // A peer that never authenticated leaves no merge-session row (the daemon counts it).
            #expect(!driver.authenticated, sourceLocation: sourceLocation)
            #expect(try replica.sessions(limit: 1).isEmpty, sourceLocation: sourceLocation)
        }
    }

    /// A hand-driven initiator: a bare session that claims `identity` and holds `staticKey`.
    static func impostor(claiming node: NodeID, key: [UInt8], signer: Replica, court target: Replica) throws -> Session {
        let staticKey = Curve25519.KeyAgreement.PrivateKey()
        let signature = try signer.signChallenge(HandshakeIdentity.bindingMessage(Array(staticKey.publicKey.rawRepresentation)))
        let hello = Hello(court: target.identity.court, node: node, name: "desk", role: "meja-satu", publicKey: key)
        let root = HandshakeIdentity.rootBytes(hex: target.courtRoot ?? "")
        return Session(
            local: hello, initiator: true, identity: HandshakeIdentity(node: node, publicKey: key, signature: signature), staticKey: staticKey,
            prologue: HandshakeIdentity.prologue(courtRoot: root))
    }

    /// Plays `session` against the target until one side stops, answering its questions as a
    /// replica that admits everyone would.
    static func converse(_ session: inout Session, with t: Target, rounds: Int = 10) throws {
        var inbox: [[UInt8]] = []
        var actions = session.handle(.start, now: 0)
        var seen = 0
        for _ in 0..<rounds {
            var more: [Session.Action] = []
            for action in actions {
                switch action {
                case .sendClear(let bytes): t.driver.received(bytes)
                case .send(let frame): t.driver.received(try session.seal(frame.encoded()))
                case .authorize:
                    // As a replica that admits the target (the target's own verdict on itself).
                    let me = t.replica.identity
                    let verdict = try t.replica.authorize(node: me.node, publicKey: me.publicKey, court: me.court)
                    more += session.handle(.authorized(verdict, vector: VersionVector()), now: 0)
                default: break
                }
            }
            inbox = Array(t.out.outbox[seen...])
            seen = t.out.outbox.count
            for bytes in inbox { more += session.handle(.received(bytes), now: 0) }
            actions = more
            if actions.isEmpty || t.driver.isOver { break }
        }
    }

    @Test("a length prefix above the limit is refused before its body is read")
    func oversizePrefix() throws {
        let t = try Target()
        t.driver.received([0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3])
        try t.expectFailed(.frameTooLarge)
        #expect(t.driver.summary.error?.contains("2147483647") == true)
        // A connection that never said hello cost no key and no signature.
        #expect(!t.driver.session.keys.isMade)
    }

    @Test("an HTTP request is not mistaken for a message")
    func http() throws {
        let t = try Target()
        t.driver.received(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        try t.expectFailed(.frameTooLarge)
    }

    @Test("an empty message, an unknown type, and version 2's auth frame are malformed", arguments: [
        [0, 0, 0, 0] as [UInt8],
        [0, 0, 0, 3, 0x99, 1, 2],
        [0, 0, 0, 2, 3, 5],
        [0, 0, 0, 4, 2, 1, 1, 9],
    ])
    func garbage(bytes: [UInt8]) throws {
        let t = try Target()
        t.driver.received(bytes)
        try t.expectFailed(.malformed)
    }

    @Test("a hello cut short by the connection ending is never used")
    func truncated() throws {
        let t = try Target()
        let hello = WireMessage.hello(version: Frame.protocolVersion, noise: Array(repeating: 7, count: 32)).encoded()
        t.driver.received(Array(hello.prefix(hello.count - 5)))
        #expect(!t.driver.isOver)
        t.driver.transportClosed(nil)
        try t.expectFailed(.connection, tellsPeer: false)
        #expect(t.driver.summary.error?.contains("during the handshake") == true)
    }

    @Test("a newer protocol version is refused with a clear error")
    func newerVersion() throws {
        let t = try Target()
        t.driver.received(WireMessage.hello(version: Frame.protocolVersion + 1, noise: Array(repeating: 1, count: 32)).encoded())
        try t.expectFailed(.version)
        #expect(t.driver.summary.error?.contains("protocol \(Frame.protocolVersion + 1)") == true)
    }

    /// Version 2's clear hello, as an old `sinkron sync` sends it.
    static func oldHello(court: String = "PN Bengkalis") -> [UInt8] {
        var body: [UInt8] = [1] + Array("SNKR".utf8) + [2]
        for text in [court] { body += [UInt8(text.utf8.count)] + Array(text.utf8) }
        body += [UInt8](repeating: 0xAB, count: 16)
        for text in ["old desk", "meja-satu"] { body += [UInt8(text.utf8.count)] + Array(text.utf8) }
        body += [32] + [UInt8](repeating: 1, count: 32) + [32] + [UInt8](repeating: 2, count: 32) + [0, 0, 255]
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + body
    }

    @Test("a peer of the old clear-text protocol is told to upgrade Sinkron, in a frame it can read")
    func oldPeerDials() throws {
        let t = try Target()
        t.driver.received(Self.oldHello())
        try t.expectFailed(.version)
        guard case .error(_, let message)? = t.frames.last else { Issue.record("no error frame"); return }
        #expect(message.contains("protocol 2") && message.contains("encrypted") && t.driver.summary.hint?.contains("upgrade Sinkron") == true, "\(message)")
    }

    @Test("dialing a daemon of the old protocol ends with 'upgrade Sinkron', sending it nothing more")
    func oldDaemonAnswers() throws {
        let court = Court()
        let admin = try court.admin()
        let driver = SessionDriver(store: admin, direction: .outbound, address: "memory:old", clock: FakeClock(), logger: quietLogger)
        let out = MemoryTransport()
        driver.transport = out
        driver.start()
        #expect(out.outbox.count == 1)  // our hello (Noise message 1)
        driver.received(Self.oldHello())
        #expect(driver.summary.errorCode == SyncError.Code.version.rawValue)
        #expect(driver.summary.error?.contains("older Sinkron") == true && driver.summary.hint?.contains("upgrade Sinkron") == true)
        #expect(!out.names.contains { $0 != "clear" })
    }

    @Test("a record before the handshake is refused")
    func recordFirst() throws {
        let t = try Target()
        t.driver.received(WireMessage.record(Array(repeating: 5, count: 40)).encoded())
        try t.expectFailed(.malformed)
        #expect(t.driver.summary.error?.contains("record before the handshake") == true)
    }

    @Test("a peer whose Noise key is not signed by the node key it claims gets no data")
    func wrongKey() throws {
        let t = try Target()
        // Claims the enrolled desk's id and key, but holds only its own node key.
        let impostor = try t.court.stranger()
        var session = try Self.impostor(claiming: t.desk.identity.node, key: t.desk.identity.publicKey, signer: impostor, court: t.replica)
        try Self.converse(&session, with: t)
        try t.expectFailed(.authentication)
        #expect(t.driver.summary.error?.contains("not signed by the node key") == true)
    }

    @Test("a handshake message replayed from another session fails the handshake")
    func replayedHandshake() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("desk", admin: admin)
        let pair = SessionPair(client: desk, server: admin)
        var recorded: [[UInt8]] = []
        pair.clientOut.tamper = { bytes, _ in
            recorded.append(bytes)
            return bytes
        }
        #expect(pair.run().client.ok)
        let t = try Target()
        t.driver.received(recorded[0])
        t.driver.received(recorded[1])
        try t.expectFailed(.authentication)
    }

    @Test("a node of another court cannot finish the handshake and sees no data", arguments: ["PN Pekanbaru", "PN Bengkalis"])
    func wrongCourt(court: String) throws {
        let c = Court()
        let admin = try c.admin()
        try admin.fileBugs(2, prefix: "secret")
        let outsider = try c.stranger(court: court)
        let before = try admin.digest()
        let pair = SessionPair(client: outsider, server: admin)
        let (client, server) = pair.run()
        #expect(client.errorCode == SyncError.Code.authentication.rawValue)
        #expect(client.error?.contains("not a node of this court") == true, "\(client.error ?? "")")
        #expect(!server.ok && server.errorCode == SyncError.Code.authentication.rawValue)
        // Inside a channel, neither side said anything: no hello, no vector, no batch.
        #expect(pair.serverFrames.isEmpty && pair.clientFrames.isEmpty)
        #expect(try admin.digest() == before)
        #expect(try outsider.list().isEmpty)
        #expect(try admin.sessions(limit: 1).isEmpty)
    }

    @Test("a forged operation inside a batch is refused: nothing of the batch is applied")
    func forgedBatch() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("desk", admin: admin)
        try desk.fileBugs(3, prefix: "desk")
        let before = try admin.digest()
        let pair = SessionPair(client: desk, server: admin)
        var tampered = false
        pair.clientRewrite = { frame in
            guard !tampered, case .batch(let id, var runs) = frame else { return frame }
            tampered = true
            runs[0].entries[runs[0].entries.count - 1].signature![5] ^= 0x40
            return .batch(id: id, runs: runs)
        }
        _ = pair.run()
        #expect(tampered)
        #expect(pair.server.summary.errorCode == SyncError.Code.rejectedBatch.rawValue)
        #expect(pair.server.summary.error?.contains("does not verify") == true, "\(pair.server.summary.error ?? "")")
        #expect(pair.client.summary.errorCode == SyncError.Code.peer.rawValue)
        #expect(try admin.digest() == before)
        #expect(pair.server.summary.received == 0)
    }

    enum Relay: String, CaseIterable { case flip, drop, reorder, replay }

    @Test("a relay that flips, drops, reorders or replays bytes ends the session clearly, changing nothing", arguments: Relay.allCases)
    func tamperingRelay(_ relay: Relay) throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("desk", admin: admin)
        try desk.fileBugs(3, prefix: "desk")
        let before = try admin.digest()
        var config = SessionConfig()
        config.maxBatchOperations = 2
        let pair = SessionPair(client: desk, server: admin, config: config)
        var held: [UInt8]?
        var done = false
        pair.clientOut.tamper = { bytes, name in
            if done { return bytes }
            switch (relay, name) {
            case (.flip, "batch"):
                done = true
                var b = bytes
                b[b.count / 2] ^= 0x20
                return b
            case (.drop, "vector"):
                done = true
                return []
            case (.reorder, "hello"):
                held = bytes
                return []
            case (.reorder, _) where held != nil:
                done = true
                return bytes + held!
            case (.replay, "hello"):
                done = true
                return bytes + bytes
            default:
                return bytes
            }
        }
        let (_, server) = pair.run()
        #expect(done)
        #expect(server.errorCode == SyncError.Code.tampered.rawValue, "\(relay): \(server.errorCode ?? "ok") \(server.error ?? "")")
        #expect(server.error?.contains("tampered") == true)
        #expect(try admin.digest() == before)
        #expect(!pair.client.summary.ok)
    }

    @Test("a replayed batch changes nothing")
    func replayedBatch() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("desk", admin: admin)
        try desk.fileBugs(3, prefix: "desk")
        let pair = SessionPair(client: desk, server: admin)
        var batch: [UInt8]?
        pair.clientOut.tamper = { bytes, name in
            if name == "batch", batch == nil { batch = bytes }
            return bytes
        }
        _ = pair.run()
        #expect(pair.server.summary.ok)
        let after = try admin.digest()
        let replay = SessionDriver(store: admin, direction: .inbound, address: "replay", logger: quietLogger)
        let sink = MemoryTransport()
        replay.transport = sink
        replay.start()
        replay.received(try #require(batch))  // a record before any handshake: refused outright
        #expect(replay.summary.errorCode == SyncError.Code.malformed.rawValue)
        _ = try admin.apply(pair.clientFrames.compactMap { if case .batch(_, let runs) = $0 { runs } else { nil } }.flatMap { $0 })
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
        var batch: [UInt8]?
        pair.clientOut.tamper = { bytes, name in
            if name == "batch" {
                batch = bytes
                return []
            }
            return bytes
        }
        _ = pair.run()
        let frame = try #require(batch)
        pair.server.received(Array(frame.prefix(frame.count / 2)))
        pair.clock.advance(29_000)
        pair.server.tick()
        #expect(!pair.server.isOver)
        // Dribbling more of the frame is not activity: only whole frames count.
        pair.server.received([frame[frame.count / 2]])
        pair.clock.advance(1_001)
        pair.server.tick()
        #expect(pair.server.summary.errorCode == SyncError.Code.timeout.rawValue)
        #expect(try admin.digest() == before)
    }
}

/// The clear-text errors among what a side wrote (the handshake's messages are skipped).
func decodeAll(_ writes: [[UInt8]]) -> [Frame] {
    var decoder = WireDecoder()
    decoder.maxLength = WireMessage.maxRecordMessage
    for bytes in writes { decoder.append(bytes) }
    var out: [Frame] = []
    while let message = try? decoder.next() {
        if case .error(let code, let text) = message { out.append(.error(code: code, message: text)) }
    }
    return out
}
