import Foundation
import Replica
import Testing

@testable import SyncProtocol

@Suite("Session: a connection cut at any frame boundary loses nothing")
struct CutAndResumeTests {
    /// Frames in one full session of this scenario (counted once, then every cut point is tried).
    static func scenario() throws -> (Court, Replica, Replica) {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("desk", admin: admin)
        try desk.fill(records: 10, sets: 200, batch: 20, seed: 5) { _ in }
        try admin.fill(records: 5, sets: 100, batch: 20, seed: 6) { _ in }
        return (court, admin, desk)
    }

    static let config: SessionConfig = {
        var c = SessionConfig()
        c.maxBatchOperations = 60
        return c
    }()

    @Test("cut after every frame, then resume: converges, and nothing held is sent again")
    func cutEverywhere() throws {
        let total: Int
        do {
            let (court, admin, desk) = try Self.scenario()
            let pair = SessionPair(client: desk, server: admin, config: Self.config)
            _ = pair.run()
            total = pair.delivered
            _ = court
        }
        #expect(total > 15)
        for cut in 0...total {
            let (court, admin, desk) = try Self.scenario()
            let first = SessionPair(client: desk, server: admin, config: Self.config)
            first.start()
            first.pump(limit: cut)
            if cut < total { first.cut() }
            let holdsAdmin = try admin.vector()
            let holdsDesk = try desk.vector()
            let second = SessionPair(client: desk, server: admin, config: Self.config)
            let (client, server) = second.run()
            #expect(client.ok && server.ok, "cut at \(cut): \(client.error ?? server.error ?? "")")
            #expect(try admin.digest() == desk.digest(), "cut at \(cut)")
            // Nothing the receiver already held travelled again.
            #expect(client.duplicates == 0 && server.duplicates == 0, "cut at \(cut)")
            #expect(UInt64(client.sent) == missing(holdsDesk, from: holdsAdmin), "cut at \(cut)")
            #expect(UInt64(server.sent) == missing(holdsAdmin, from: holdsDesk), "cut at \(cut)")
            _ = court
        }
    }

    /// Operations `have` holds that `other` lacks.
    func missing(_ have: VersionVector, from other: VersionVector) -> UInt64 {
        have.entries.reduce(0) { $0 + ($1.value > other[$1.key] ? $1.value - other[$1.key] : 0) }
    }
}
