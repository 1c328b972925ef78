import Replica
import Testing

@testable import SyncProtocol

@Suite("Beacon: a signed, court-scoped address hint")
struct BeaconTests {
    @Test("a beacon round-trips, verifies with its node's key only, and names no court or node")
    func roundTrip() throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("meja-satu", admin: admin)
        let beacon = try Beacon.make(replica: desk, port: 7070)
        let bytes = beacon.encoded
        #expect(bytes.count == Beacon.length)
        let decoded = try #require(Beacon.decode(bytes))
        #expect(decoded == beacon && decoded.port == 7070 && decoded.node == desk.identity.node)
        #expect(decoded.verifies(publicKey: desk.identity.publicKey))
        #expect(!decoded.verifies(publicKey: admin.identity.publicKey))
        #expect(decoded.courtTag == Beacon.courtTag(root: HandshakeIdentity.rootBytes(hex: admin.courtRoot ?? "")))
        for text in ["PN Bengkalis", "meja-satu", "kasubbag"] { #expect(!String(decoding: bytes, as: UTF8.self).contains(text)) }
        var moved = bytes
        moved[30] ^= 1  // another TCP port
        #expect(Beacon.decode(moved)?.verifies(publicKey: desk.identity.publicKey) == false)
        #expect(Beacon.decode(Array(bytes.dropLast())) == nil)
        let other = try Court(name: "PN Dumai").admin()
        #expect(try Beacon.make(replica: other, port: 1).courtTag != beacon.courtTag)
    }
}
