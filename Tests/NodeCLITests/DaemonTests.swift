import Foundation
import Synchronization
import Testing

/// Text appended from another thread.
final class LogBuffer: Sendable {
    private let text = Mutex("")
    func append(_ s: String) { text.withLock { $0 += s } }
    var value: String { text.withLock { $0 } }
}

/// A `sinkron serve` child process on 127.0.0.1, its port read back from its log.
final class Daemon: @unchecked Sendable {
    let process: Process
    let log = LogBuffer()
    let home: String

    /// Discovery stays on loopback: off unless `discovery` gives where to hear beacons and where to send them.
    init(home: String, peers: [Int] = [], listen: String = "127.0.0.1:0", discovery: (listen: Int, targets: [Int])? = nil) throws {
        self.home = home
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        var beacons = ["--no-discovery"]
        if let discovery {
            beacons = ["--discovery-listen", "127.0.0.1:\(discovery.listen)"] + discovery.targets.flatMap { ["--beacon-to", "127.0.0.1:\($0)"] }
        }
        process.arguments = ["serve", "--home", home, "--listen", listen, "--interval", "2"] + peers.flatMap { ["--peer", "127.0.0.1:\($0)"] } + beacons
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        let log = self.log
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { log.append(String(decoding: data, as: UTF8.self)) }
        }
        try process.run()
        self.process = process
    }

    /// The port it listens on (waits for its first log line).
    func port() throws -> Int {
        for _ in 0..<200 {
            let text = log.value
            if let range = text.range(of: #"listening on 127\.0\.0\.\d+:(\d+)"#, options: .regularExpression),
                let port = Int(text[range].split(separator: ":").last ?? "")
            {
                return port
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CLIFailure("daemon on \(home) did not start: \(log.value)")
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait: the daemon must exit 0.
    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls until every replica reports the same digest.
func waitForConvergence(_ clis: [CLI], seconds: Double = 30) throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        let digests = try clis.map { try $0.run(["digest"]).stdout }
        if Set(digests).count == 1 { return true }
        Thread.sleep(forTimeInterval: 0.25)
    }
    return false
}

/// Multi-process tests on loopback: real `sinkron serve` and `sinkron sync` processes.
@Suite(.enabled(if: CLI.available, "build the sinkron binary first (scripts/test does)"), .serialized)
struct DaemonTests {
    /// An admin (kasubbag) and desks that joined it by invitation.
    static func court(_ dir: TempDir, desks: [(String, String)]) throws -> (admin: CLI, desks: [CLI]) {
        let admin = CLI(home: dir.sub("admin"))
        try admin.ok("init", "--court", "PN Bengkalis", "--name", "kasubbag", "--role", "kasubbag")
        var out: [CLI] = []
        for (name, role) in desks {
            let invite = dir.sub("\(name).invite")
            let receipt = try #require(try admin.json("invite", "--name", name, "--role", role, "--out", invite) as? [String: Any])
            let desk = CLI(home: dir.sub(name))
            try desk.ok("init", "--invite", invite, "--code", try #require(receipt["code"] as? String))
            out.append(desk)
        }
        return (admin, out)
    }

    @Test func threeDaemonsInALineConverge() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (b, desks) = try Self.court(dir, desks: [("meja-satu", "meja-satu"), ("staf-ti", "staf-ti")])
        let a = desks[0]
        let c = desks[1]
        let daemonB = try Daemon(home: b.home)
        let portB = try daemonB.port()
        let daemonA = try Daemon(home: a.home, peers: [portB])
        let daemonC = try Daemon(home: c.home, peers: [portB])
        defer {
            _ = daemonA.stop()
            _ = daemonC.stop()
            _ = daemonB.stop()
        }
        _ = try daemonA.port()
        _ = try daemonC.port()
        for i in 1...5 {
            try a.ok("bug", "file", "--title", "bug \(i) dari meja satu", "--description", "d")
            try c.ok("task", "add", "--sop", "BACKUP", "--title", "backup \(i)")
            try b.ok("task", "add", "--sop", "SERVER", "--title", "server \(i)")
        }
        #expect(try waitForConvergence([a, b, c]))
        #expect((try a.json("list") as? [Any])?.count == 15)
        // A and C never met: C's records reached A through B's relay.
        let merges = try #require(try a.json("merges") as? [[String: Any]])
        #expect(merges.allSatisfy { ($0["peer"] as? String) != "staf-ti" })
        // ...and A's merge history says so, per origin: staf-ti's operations came in from B.
        let relayed = merges.first { (($0["traffic"] as? [[String: Any]]) ?? []).contains { $0["node"] as? String == "staf-ti" && ($0["received"] as? Int ?? 0) > 0 } }
        let id = try #require(relayed?["id"] as? Int, "a session of A received staf-ti's operations")
        let shown = try a.ok("merges", "--session", "\(id)").stdout
        #expect(shown.contains("ORIGIN") && shown.contains("staf-ti"), "\(shown)")
        #expect(try a.run(["merges", "--session", "999999"]).status != 0)
        #expect(daemonA.stop() == 0)
    }

    @Test func daemonKilledMidSyncResumesWithoutLossOrDuplicates() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, desks) = try Self.court(dir, desks: [("staf-ti", "staf-ti")])
        let ti = desks[0]
        try admin.ok("dev", "fill", "--records", "2000", "--sets", "60000", "--batch", "5000")
        let total = try #require((try admin.json("whoami") as? [String: Any])?["operations"] as? Int)

        var daemon = try Daemon(home: ti.home)
        var port = try daemon.port()
        // Start a long sync and kill the receiving daemon once part of it has landed.
        let client = Process()
        client.executableURL = URL(fileURLWithPath: CLI.binary)
        client.arguments = ["sync", "127.0.0.1:\(port)", "--quiet", "--home", admin.home]
        client.standardOutput = FileHandle.nullDevice
        client.standardError = FileHandle.nullDevice
        try client.run()
        var held = 0
        for _ in 0..<400 {
            held = (try ti.json("whoami") as? [String: Any])?["operations"] as? Int ?? 0
            if held > 5000 { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        daemon.kill9()
        client.waitUntilExit()
        // The killed session never merged what it received into the tables (a session merges
        // once, at its end): the next command does, with no daemon running, so what was
        // acknowledged shows at the desk.
        let listed = try #require(try ti.json("list") as? [Any])
        #expect(listed.count == 50, "a page of the bug reports that arrived before the kill")
        let afterKill = try #require((try ti.json("whoami") as? [String: Any])?["operations"] as? Int)
        #expect(afterKill < total + 3, "the sync finished before the kill; make the fill larger")
        try ti.ok("verify")

        daemon = try Daemon(home: ti.home)
        port = try daemon.port()
        defer { _ = daemon.stop() }
        let summary = try #require(try admin.json("sync", "127.0.0.1:\(port)") as? [String: Any])
        #expect(summary["inSync"] as? Bool == true)
        // The resumed session sent exactly what the receiver lacked: nothing it already held.
        let tiOwn = 1  // staf-ti's genesis: nothing else was written there
        let heldFromAdmin = afterKill - tiOwn
        #expect(summary["sent"] as? Int == total - heldFromAdmin)
        // The receiving daemon merges the session when it ends, which may be after the client
        // has its answer (under load it was, once): the replicas converge within a bound.
        #expect(try waitForConvergence([ti, admin]))
        try ti.ok("verify")
        // After a session with the admin, staf-ti stamps the admin's time (court time), 1 hop away.
        let clock = try #require((try ti.json("whoami") as? [String: Any])?["clock"] as? [String: Any])
        #expect(clock["hops"] as? Int == 1)
        #expect(clock["source"] as? String == "kasubbag")
        #expect(clock["courtTime"] is String)
        #expect(try ti.ok("whoami").stdout.contains("learned from kasubbag, 1 session from the admin"))
    }

    @Test func unenrolledAndForeignNodesAreRefused() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, _) = try Self.court(dir, desks: [])
        try admin.ok("task", "add", "--sop", "BACKUP", "--title", "rahasia")
        let daemon = try Daemon(home: admin.home)
        let port = try daemon.port()
        defer { _ = daemon.stop() }

        let stranger = CLI(home: dir.sub("stranger"))
        try stranger.ok("init", "--court", "PN Bengkalis", "--name", "stranger", "--role", "meja-satu")
        let refused = try stranger.run(["sync", "127.0.0.1:\(port)"])
        #expect(refused.status != 0)
        // Its own court root is not this court's: the handshake cannot even finish.
        #expect((refused.stderr + refused.stdout).contains("not a node of this court"))
        #expect((try stranger.json("list") as? [Any])?.isEmpty == true)

        let foreign = CLI(home: dir.sub("foreign"))
        try foreign.ok("init", "--court", "PN Dumai", "--name", "dumai", "--role", "staf-ti")
        let other = try foreign.run(["sync", "127.0.0.1:\(port)"])
        #expect(other.status != 0)
        #expect((other.stderr + other.stdout).contains("PN Dumai") || (other.stderr + other.stdout).contains("court"))
        #expect((try foreign.json("list") as? [Any])?.isEmpty == true)

        // The daemon logged the refusals and still serves members.
        Thread.sleep(forTimeInterval: 0.3)
        #expect(daemon.log.value.contains("refused") && daemon.log.value.contains("handshake"))
    }

    @Test func statusSaysWhetherADaemonRunsWithItsPeersAndTheLastSync() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, desks) = try Self.court(dir, desks: [("meja-satu", "meja-satu")])
        let none = try admin.run(["status"])
        #expect(none.status == 3 && none.stdout.contains("not running"))
        let daemon = try Daemon(home: admin.home)
        let port = try daemon.port()
        try desks[0].ok("sync", "127.0.0.1:\(port)", "--quiet")
        var report: [String: Any] = [:]
        for _ in 0..<40 {
            let r = try admin.run(["status", "--json"])
            report = (try? r.json() as? [String: Any]) ?? [:]
            if r.status == 0 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(report["running"] as? Bool == true, "\(report)")
        let status = try #require(report["daemon"] as? [String: Any])
        #expect((status["listen"] as? String)?.hasSuffix(":\(port)") == true)
        #expect((report["lastSync"] as? [String: Any])?["peer"] as? String == "meja-satu")
        #expect(try admin.ok("status").stdout.contains("daemon: running"))
        #expect(daemon.stop() == 0)
        let after = try admin.run(["status", "--json"])
        #expect(after.status == 3)
        #expect((try after.json() as? [String: Any])?["running"] as? Bool == false)
    }

    /// `peers` says live how far behind a peer is: nothing while both daemons run, then the
    /// operations written here since the peer went away, and for how long.
    @Test func peersShowLiveLagOfAPeerThatWentAway() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, desks) = try Self.court(dir, desks: [("meja-satu", "meja-satu")])
        let deskDaemon = try Daemon(home: desks[0].home)
        let deskPort = try deskDaemon.port()
        let adminDaemon = try Daemon(home: admin.home, peers: [deskPort])
        _ = try adminDaemon.port()
        defer { _ = adminDaemon.stop() }
        func peer() throws -> [String: Any]? {
            (try admin.json("peers") as? [[String: Any]])?.first { ($0["address"] as? String)?.hasSuffix(":\(deskPort)") == true }
        }
        var row: [String: Any]?
        for _ in 0..<60 {
            row = try peer()
            if row?["pendingOps"] as? Int == 0 { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        #expect(row?["pendingOps"] as? Int == 0 && row?["lag"] as? String == "up to date", "\(row ?? [:])")
        #expect(deskDaemon.stop() == 0)
        try admin.ok("task", "add", "--sop", "BACKUP", "--title", "ditulis saat meja satu mati")
        try admin.ok("task", "add", "--sop", "BACKUP", "--title", "dan satu lagi")
        for _ in 0..<60 {
            row = try peer()
            if (row?["pendingOps"] as? Int ?? 0) >= 2 { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        // Two records, each at least one operation; the time is since the last contact.
        let pending = try #require(row?["pendingOps"] as? Int, "\(row ?? [:])")
        #expect(pending >= 2 && row?["pendingSince"] is String, "\(row ?? [:])")
        #expect(try admin.ok("peers").stdout.contains("\(pending) ops, <1 min"))
    }

    @Test func revokedNodeIsRefused() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, desks) = try Self.court(dir, desks: [("meja-satu", "meja-satu")])
        let desk = desks[0]
        let daemon = try Daemon(home: admin.home)
        let port = try daemon.port()
        defer { _ = daemon.stop() }
        try desk.ok("sync", "127.0.0.1:\(port)", "--quiet")
        try admin.ok("revoke", "meja-satu")
        try desk.ok("bug", "file", "--title", "setelah dicabut", "--description", "d")
        let refused = try desk.run(["sync", "127.0.0.1:\(port)"])
        #expect(refused.status != 0)
        #expect((refused.stderr + refused.stdout).contains("revoked"))
        #expect((try admin.json("list") as? [Any])?.isEmpty == true)
    }
}

/// The network-namespace test: links cut and lossy between hosts the test creates and removes.
@Suite(.enabled(if: CLI.available && NetNS.available, "needs root, iproute2 and nftables to create network namespaces"))
struct NetworkNamespaceTests {
    @Test func lineOfHostsConvergesThroughCutsAndLoss() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("scripts/netns-test").path]
        process.environment = ProcessInfo.processInfo.environment.merging(["SINKRON_BIN": CLI.binary]) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("converged"))
    }
}

enum NetNS {
    /// True when this process may create network namespaces (root with iproute2 and nft).
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") || FileManager.default.isExecutableFile(atPath: "/sbin/nft")
        else { return false }
        let name = "sinkronprobe\(getpid())"
        let add = Process()
        add.executableURL = URL(fileURLWithPath: "/bin/sh")
        add.arguments = ["-c", "ip netns add \(name) && ip netns del \(name)"]
        add.standardOutput = FileHandle.nullDevice
        add.standardError = FileHandle.nullDevice
        guard (try? add.run()) != nil else { return false }
        add.waitUntilExit()
        return add.terminationStatus == 0
    }()
}
