import Foundation
import Testing

/// What a PC on the court LAN sees of a sync: a relay between `sinkron sync` and `sinkron serve`.
@Suite(.enabled(if: CLI.available, "build the sinkron binary first (scripts/test does)"), .serialized)
struct EncryptionTests {
    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard n.count <= haystack.count else { return false }
        for i in 0...(haystack.count - n.count) where haystack[i] == n[0] && Array(haystack[i..<(i + n.count)]) == n { return true }
        return false
    }

    @Test func aRelayThatRecordsEveryByteSeesNoRecordTextNodeNameOrCourt() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, desks) = try DaemonTests.court(dir, desks: [("meja-satu-tais", "meja-satu")])
        let desk = desks[0]
        try desk.ok("bug", "file", "--title", "Penghapusan perkara 123/Pdt.G/2026/PN Bls", "--description", "data salah input oleh meja satu")
        try admin.ok("task", "add", "--sop", "BACKUP", "--title", "Surat ke Mahkamah Agung rahasia")
        let daemon = try Daemon(home: admin.home)
        let port = try daemon.port()
        defer { _ = daemon.stop() }
        let relay = try Relay(target: port)
        let summary = try #require(try desk.json("sync", "127.0.0.1:\(relay.port)") as? [String: Any])
        relay.stop()
        #expect(summary["ok"] as? Bool == true && summary["inSync"] as? Bool == true, "\(summary)")
        #expect((summary["received"] as? Int ?? 0) > 0 && (summary["sent"] as? Int ?? 0) > 0)
        #expect(try desk.ok("digest").stdout == (try admin.ok("digest").stdout))
        let seen = relay.recorded
        #expect(seen.count > 1_000, "the relay saw \(seen.count) bytes")
        for secret in ["Penghapusan perkara", "123/Pdt.G", "data salah input", "Mahkamah Agung", "meja-satu-tais", "kasubbag", "PN Bengkalis", "Bengkalis", "BACKUP"] {
            #expect(!Self.contains(seen, secret), "the relay read \"\(secret)\"")
        }
        // What it does see: the Sinkron magic and version of the first message, nothing more legible.
        #expect(Self.contains(seen, "SNKR"))
    }

    @Test(arguments: Relay.Tamper.allCases)
    func aRelayThatTampersEndsTheSyncClearlyAndChangesNothing(_ tamper: Relay.Tamper) throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, desks) = try DaemonTests.court(dir, desks: [("meja-satu", "meja-satu")])
        let desk = desks[0]
        try admin.ok("dev", "fill", "--records", "50", "--sets", "2000", "--batch", "500")
        let before = try desk.ok("digest").stdout
        let daemon = try Daemon(home: admin.home)
        let port = try daemon.port()
        defer { _ = daemon.stop() }
        // Past the handshake (a few hundred bytes), inside the first records.
        let relay = try Relay(target: port, flipAfter: 2_000, tamper: tamper)
        let r = try desk.run(["sync", "127.0.0.1:\(relay.port)", "--timeout", "3"])
        relay.stop()
        #expect(r.status == 1)
        // Within the records: did not authenticate; across their boundaries: a length that is no
        // record's (too large, or the stream stalls mid-record). Either way a clear error.
        let clear = ["tampered", "did not authenticate", "announced a message", "no complete frame"]
        #expect(clear.contains { r.stderr.contains($0) }, "\(tamper): \(r.stderr)\n\(daemon.log.value)")
        #expect(try desk.ok("digest").stdout == before)
        #expect(daemon.process.isRunning)
    }
}
