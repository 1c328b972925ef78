import Foundation
import Testing

/// LAN discovery by signed beacons, on loopback only: each daemon hears beacons on its own UDP
/// port of 127.0.0.1 and sends them to the others' (standing in for the LAN broadcast).
@Suite(.enabled(if: CLI.available, "build the sinkron binary first (scripts/test does)"), .serialized)
struct DiscoveryTests {
    @Test func threeDaemonsWithNoStaticPeersFindEachOtherAndConverge() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, desks) = try DaemonTests.court(dir, desks: [("meja-satu", "meja-satu"), ("staf-ti", "staf-ti")])
        let nodes = [admin] + desks
        let ports = try nodes.map { _ in try RawDatagram.freePort() }
        var daemons: [Daemon] = []
        defer { for d in daemons { _ = d.stop() } }
        for (i, node) in nodes.enumerated() {
            daemons.append(try Daemon(home: node.home, discovery: (ports[i], ports)))
            _ = try daemons[i].port()
        }
        try desks[0].ok("bug", "file", "--title", "ditemukan lewat beacon", "--description", "d")
        try desks[1].ok("task", "add", "--sop", "BACKUP", "--title", "backup mingguan")
        try admin.ok("task", "add", "--sop", "SERVER", "--title", "server")
        #expect(try waitForConvergence(nodes, seconds: 40))
        #expect((try desks[0].json("list") as? [Any])?.count == 3)
        // Each found the others by a beacon, or by an inbound session of one that did (which of the
        // two comes first depends on timing).
        let finder = try #require(daemons.firstIndex { $0.log.value.contains("discovered node") })
        let node = nodes[finder]
        var peers: [[String: Any]] = []
        for _ in 0..<40 {
            let status = try node.json("status") as? [String: Any]
            peers = (status?["daemon"] as? [String: Any])?["peers"] as? [[String: Any]] ?? []
            if peers.contains(where: { $0["source"] as? String == "discovered" }) { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        #expect(peers.contains { $0["source"] as? String == "discovered" }, "\(peers)")
        // `sinkron peers` shows them too, with their source, last contact and lag.
        let rows = try #require(try node.json("peers") as? [[String: Any]])
        let found = rows.filter { $0["source"] as? String == "discovered" }
        #expect(!found.isEmpty && found.allSatisfy { $0["lastContact"] is String && $0["behindOps"] is Int }, "\(rows)")
        #expect(try node.ok("peers").stdout.contains("discovered"))
    }

    @Test func aBeaconOfAnotherCourtOrAForgedOneLeadsToNoData() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, desks) = try DaemonTests.court(dir, desks: [("meja-satu", "meja-satu")])
        let desk = desks[0]
        try admin.ok("task", "add", "--sop", "BACKUP", "--title", "rahasia pengadilan")
        let foreign = CLI(home: dir.sub("dumai"))
        try foreign.ok("init", "--court", "PN Dumai", "--name", "dumai", "--role", "staf-ti")
        let capture = try RawDatagram()
        let deskPort = try RawDatagram.freePort()
        let adminPort = try RawDatagram.freePort()
        let foreignPort = try RawDatagram.freePort()
        // The admin's beacons also reach the test's socket; the foreign node's reach both members.
        let adminDaemon = try Daemon(home: admin.home, discovery: (adminPort, [capture.port]))
        let tcp = try adminDaemon.port()
        defer { _ = adminDaemon.stop() }
        let beacon = capture.receive()
        #expect(beacon.count == 103 && Array(beacon.prefix(4)) == Array("SNKB".utf8))
        for secret in ["PN Bengkalis", "kasubbag", "rahasia"] { #expect(!EncryptionTests.contains(beacon, secret)) }
        let deskDaemon = try Daemon(home: desk.home, discovery: (deskPort, [foreignPort]))
        _ = try deskDaemon.port()
        defer { _ = deskDaemon.stop() }
        // A stranger's daemon listens at another address on the admin's TCP port.
        let foreignDaemon = try Daemon(home: foreign.home, listen: "127.0.0.9:\(tcp)", discovery: (foreignPort, [deskPort, adminPort]))
        _ = try foreignDaemon.port()
        defer { _ = foreignDaemon.stop() }
        // 1. A beacon with its port changed does not verify: ignored.
        var forged = beacon
        forged[30] ^= 0x01
        capture.send(forged, to: deskPort)
        // 2. The admin's real beacon, replayed from 127.0.0.9: it points the desk at the stranger.
        let replayer = try RawDatagram(host: "127.0.0.9")
        replayer.send(beacon, to: deskPort)
        Thread.sleep(forTimeInterval: 3)
        #expect(deskDaemon.log.value.contains("discovered node") && deskDaemon.log.value.contains("127.0.0.9:\(tcp)"), "\(deskDaemon.log.value)")
        // The handshake decided: no data either way, no session rows, the foreign beacons ignored.
        #expect((try foreign.json("list") as? [Any])?.isEmpty == true)
        #expect((try desk.json("merges") as? [Any])?.isEmpty == true)
        #expect(!deskDaemon.log.value.contains("synced with"))
        #expect(deskDaemon.log.value.contains("peer 127.0.0.9:\(tcp): the handshake"), "\(deskDaemon.log.value)")
        #expect(!adminDaemon.log.value.contains("discovered node"))
        #expect(deskDaemon.log.value.contains("ignored") && deskDaemon.log.value.contains("bad-signature") || deskDaemon.log.value.contains("other-court"), "\(deskDaemon.log.value)")
    }
}
