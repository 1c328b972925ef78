import Foundation
import Replica
import ReplicaTesting
import Testing

@testable import SyncProtocol

/// Court time: every node stamps its writes with the admin's clock (learned from the invitation
/// and in sync sessions), so a PC whose clock is wrong neither wins nor loses conflicts by it.
@Suite("Court time: clocks corrected against the admin's")
struct CourtTimeTests {
    static let minute: UInt64 = 60_000
    static let year: UInt64 = 365 * 86_400_000

    /// A court of one admin whose clock reads `ManualClock.start`.
    func court(adminClock: ManualClock = ManualClock()) throws -> (Sandbox, Replica) {
        let sandbox = try Sandbox("court-time")
        return (sandbox, try sandbox.founder("kasubbag", role: .kasubbag, clock: adminClock))
    }

    /// A member whose PC clock reads `ManualClock.start + offset` when it joins.
    func member(_ name: String, _ role: Role, of court: (Sandbox, Replica), offset: Int64 = 0) throws -> (Replica, ManualClock) {
        let clock = ManualClock(UInt64(Int64(ManualClock.start) + offset))
        return (try court.0.member(name, role: role, invitedBy: court.1, clock: clock), clock)
    }

    /// Syncs two replicas over in-memory transports; both must finish.
    @discardableResult
    func sync(_ client: Replica, _ server: Replica) -> (client: SessionSummary, server: SessionSummary) {
        let result = SessionPair(client: client, server: server).run()
        #expect(result.client.ok && result.server.ok, "\(result.client.error ?? "") \(result.server.error ?? "")")
        return result
    }

    @Test("a desk whose PC is years ahead takes the invitation's time before it writes anything")
    func invitationCorrectsAFarOffClock() throws {
        let court = try court()
        let (ahead, _) = try member("meja-satu", .mejaSatu, of: court, offset: Int64(3 * Self.year))
        let (behind, _) = try member("staf-ti", .stafTI, of: court, offset: -Int64(2 * Self.year))
        for desk in [ahead, behind] {
            #expect(desk.courtTime == ManualClock.start)
            let status = try desk.clockStatus()
            #expect(status.source == "invitation from kasubbag")
            #expect(status.hops == nil)
            // Its first write (the genesis) already carries court time, and its user is told why.
            let latest = try #require(try desk.scalar("SELECT max(hlc) >> 16 FROM ops"))
            #expect(UInt64(latest) < ManualClock.start + Self.minute)
            #expect(try desk.alerts().contains { $0.kind == "clock" && $0.detail.contains("ahead of court time") == (desk === ahead) })
        }
    }

    @Test("a desk a few minutes off keeps its clock until a session with the admin corrects it")
    func sessionCorrectsMinutes() throws {
        let (sandbox, admin) = try court()
        let (desk, deskClock) = try member("meja-satu", .mejaSatu, of: (sandbox, admin), offset: Int64(2 * Self.minute))
        #expect(desk.courtTime == ManualClock.start + 2 * Self.minute)
        #expect(try desk.clockStatus().source == nil)

        let (client, server) = sync(desk, admin)
        #expect(client.clockCorrectionMs == -120_000)
        #expect(server.clockCorrectionMs == nil, "the admin's clock is the reference")
        #expect(desk.courtTime == ManualClock.start)
        #expect(try desk.clockStatus().hops == 1)
        #expect(try desk.clockStatus().source == "kasubbag")
        #expect(admin.courtTime == ManualClock.start)
        #expect(!(try desk.alerts().contains { $0.kind == "clock" }), "two minutes is drift, not a wrong clock")

        // The correction is kept in the replica: another process (a reopen) stamps court time too.
        let again = try sandbox.reopen("meja-satu", clock: deskClock)
        #expect(again.courtTime == ManualClock.start)
        #expect(try again.clockStatus().hops == 1)
    }

    @Test("a node takes time only from a node nearer the admin, and refreshes it at each such session")
    func hopsDecideWhoCorrectsWhom() throws {
        let court = try court()
        let admin = court.1
        let (near, nearClock) = try member("staf-ti", .stafTI, of: court, offset: Int64(3 * Self.minute))
        let (far, _) = try member("meja-satu", .mejaSatu, of: court, offset: Int64(30 * Self.minute))
        // Bundles on a flash disk tell everyone of everyone's enrollment (bundles carry no time).
        try Exchange.introduce([admin, near, far])

        // Neither has met the admin: neither corrects the other.
        sync(far, near)
        #expect(far.courtTime == ManualClock.start + 30 * Self.minute)
        #expect(near.courtTime == ManualClock.start + 3 * Self.minute)

        sync(near, admin)
        #expect(near.courtTime == ManualClock.start)
        sync(far, near)
        #expect(far.courtTime == ManualClock.start)
        #expect(try far.clockStatus().hops == 2)
        #expect(try far.clockStatus().source == "staf-ti")

        // The PC clock of `near` jumps: a session with `far` (further from the admin) does not
        // correct `near`, and `far` follows `near`, which stands nearer the admin.
        nearClock.advance(by: 10 * Self.minute)
        sync(near, far)
        #expect(near.courtTime == ManualClock.start + 10 * Self.minute, "near stands at 1 hop; far at 2 cannot correct it")
        #expect(far.courtTime == ManualClock.start + 10 * Self.minute, "far refreshes from near, which is nearer the admin")
        // The next session with the admin takes the jump out, and `far` follows at its next session.
        sync(near, admin)
        #expect(near.courtTime == ManualClock.start)
        sync(far, near)
        #expect(far.courtTime == ManualClock.start)
    }

    @Test("a concurrent edit made later wins even against a PC whose clock is years ahead")
    func laterEditWinsAgainstAFastClock() throws {
        let adminClock = ManualClock()
        let court = try court(adminClock: adminClock)
        let admin = court.1
        let (desk, deskClock) = try member("meja-satu", .mejaSatu, of: court, offset: Int64(3 * Self.year))
        let bug = try desk.fileBug(title: "Tombol simpan", description: "error 500")
        sync(desk, admin)

        // Offline: the desk edits first, the admin a minute later; neither has seen the other's edit.
        _ = try desk.setField(bug.hex, field: "title", value: "dari meja satu")
        for clock in [adminClock, deskClock] { clock.advance(by: Self.minute) }
        _ = try admin.setField(bug.hex, field: "title", value: "dari kasubbag")
        sync(desk, admin)

        for replica in [desk, admin] {
            #expect(try replica.show(bug.hex).fields["title"] == "dari kasubbag")
            let conflict = try #require(try replica.conflicts().first { $0.field == "title" })
            #expect(conflict.winnerNode == "kasubbag")
            #expect(conflict.loserAt < conflict.winnerAt)
        }
    }

    @Test("a PC clock that jumps years ahead after joining decides only the edits made before the next session")
    func jumpAfterJoiningIsContained() throws {
        let adminClock = ManualClock()
        let (sandbox, admin) = try court(adminClock: adminClock)
        let (desk, deskClock) = try member("meja-satu", .mejaSatu, of: (sandbox, admin))
        let bug = try desk.fileBug(title: "Tombol simpan", description: "error 500")
        sync(desk, admin)
        // A second process on the same replica (a `sinkron` command run while the daemon syncs).
        let other = try sandbox.reopen("meja-satu", clock: deskClock)
        let before = desk.origin

        deskClock.advance(by: 3 * Self.year)
        _ = try desk.setField(bug.hex, field: "module", value: "stamped three years ahead")
        let (client, _) = sync(desk, admin)
        #expect(client.clockCorrectionMs == -Int64(3 * Self.year))
        #expect(desk.origin != before, "stamps ran ahead of court time: the node goes on under a new origin")
        #expect(try desk.alerts().contains { $0.kind == "clock" })

        // Offline again: the desk edits first, the admin a minute later. The admin's later edit wins.
        _ = try desk.setField(bug.hex, field: "title", value: "dari meja satu")
        for clock in [adminClock, deskClock] { clock.advance(by: Self.minute) }
        _ = try admin.setField(bug.hex, field: "title", value: "dari kasubbag")
        // The other process writes under the new origin, in court time, too.
        let comment = try other.commit([.comment(record: bug, text: "dari proses lain")])[0]
        #expect(comment.origin == desk.origin)
        #expect(comment.hlc.milliseconds < ManualClock.start + 10 * Self.minute)
        sync(desk, admin)
        for replica in [desk, admin] {
            #expect(try replica.show(bug.hex).fields["title"] == "dari kasubbag")
            #expect(try replica.verify().ok)
        }
        #expect(try desk.digest() == (try admin.digest()))
    }

    @Test("stamps left ahead by a PC clock that was set right again before the session still start a new origin")
    func stampsAheadWithoutACorrection() throws {
        let (sandbox, admin) = try court()
        let (desk, deskClock) = try member("meja-satu", .mejaSatu, of: (sandbox, admin))
        let bug = try desk.fileBug(title: "Tombol simpan", description: "error 500")
        sync(desk, admin)
        let before = desk.origin
        deskClock.advance(by: Self.year)
        _ = try desk.setField(bug.hex, field: "module", value: "stamped a year ahead")
        deskClock.rewind(by: Self.year)
        let (client, _) = sync(desk, admin)
        #expect(client.clockCorrectionMs == nil, "court time itself did not move")
        #expect(desk.origin != before)
        let next = try desk.commit([.comment(record: bug, text: "sesudah")])[0]
        #expect(next.hlc.milliseconds < ManualClock.start + Self.minute)
    }

    @Test("only the admin may announce hop 0; a member that claims it corrects no one")
    func onlyTheAdminIsHopZero() throws {
        let court = try court()
        let admin = court.1
        let (desk, _) = try member("meja-satu", .mejaSatu, of: court)
        let (liar, _) = try member("staf-ti", .stafTI, of: court)
        let future = ManualClock.start + Self.year
        #expect(try desk.observePeerClock(future, hops: 0, peer: "staf-ti", peerKey: liar.identity.publicKey, receivedAt: desk.courtTime) == nil)
        #expect(desk.courtTime == ManualClock.start)
        let correction = try desk.observePeerClock(
            ManualClock.start + 5_000, hops: 0, peer: "kasubbag", peerKey: admin.identity.publicKey, receivedAt: desk.courtTime)
        #expect(correction?.deltaMs == 5_000)
        #expect(desk.courtTime == ManualClock.start + 5_000)
    }

    @Test("the announced time travels inside the encrypted channel: a changed byte ends the session, the clock stays")
    func helloIsSealed() throws {
        let c = try court()
        let (desk, _) = try member("desk", .mejaSatu, of: c, offset: Int64(5 * Self.minute))
        let before = desk.courtTime
        let pair = SessionPair(client: desk, server: c.1)
        // Flip a byte of the admin's first record (its hello, with its clock).
        pair.serverOut.tamper = { (bytes: [UInt8], name: String) -> [UInt8] in
            guard name == "hello" else { return bytes }
            var changed = bytes
            changed[changed.count - 20] ^= 0x01
            return changed
        }
        let (client, _) = pair.run()
        #expect(!client.ok && client.errorCode == SyncError.Code.tampered.rawValue, "\(client.error ?? "")")
        #expect(desk.courtTime - before < Self.minute)
    }

    @Test("hello frames carry the time and hops through the codec")
    func helloRoundTrip() throws {
        var hello = Hello(court: "PN Bengkalis", node: NodeID.random(), name: "kasubbag", role: "kasubbag", publicKey: Array(repeating: 7, count: 32))
        hello.clock = ManualClock.start
        hello.clockHops = 3
        var decoder = FrameDecoder()
        decoder.append(Frame.hello(hello).encoded())
        #expect(try decoder.next() == .hello(hello))
    }
}
