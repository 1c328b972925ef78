import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Clients that hang up at every point of a session, against the real `sinkron serve`.
@Suite(.enabled(if: CLI.available, "build the sinkron binary first (scripts/test does)"), .serialized)
struct HostileClientTests {
    /// How a flood client behaves, one per connection in turn.
    enum Hangup: CaseIterable {
        /// Connect, then close at once (FIN), or reset at once (RST).
        case closeAtOnce, resetAtOnce
        /// Announce a frame far above the limit and hang up: the daemon's error frame then goes to
        /// a closed socket (this killed the daemon with SIGPIPE).
        case oversizeThenClose, oversizeThenReset
        /// Read what the daemon says first, then hang up while it may still write.
        case readThenClose, readThenReset
        /// A valid first handshake message, then a hang-up while the daemon writes its answer.
        case handshakeThenClose, handshakeThenReset
        /// The same, but after reading the daemon's answer (it may be writing more, or not).
        case handshakeReadThenClose, handshakeReadThenReset
        /// Half a frame, then a reset.
        case partialFrameThenReset
        /// A stream of garbage, then a reset mid-stream.
        case garbageThenReset
    }

    static func misbehave(port: Int, _ hangup: Hangup) {
        guard let socket = try? RawSocket(port: port) else { return }
        socket.setReceiveTimeout(milliseconds: 200)
        switch hangup {
        case .closeAtOnce: socket.close()
        case .resetAtOnce: socket.reset()
        case .oversizeThenClose:
            socket.send([0xFF, 0xFF, 0xFF, 0xFF, 1])
            socket.close()
        case .oversizeThenReset:
            socket.send([0xFF, 0xFF, 0xFF, 0xFF, 1])
            socket.reset()
        case .readThenClose:
            _ = socket.read()
            socket.close()
        case .readThenReset:
            _ = socket.read()
            socket.reset()
        case .handshakeThenClose, .handshakeThenReset, .handshakeReadThenClose, .handshakeReadThenReset:
            // hello: "SNKR", protocol 3, Noise message 1 (any 32 bytes pass for an ephemeral key).
            socket.send([0, 0, 0, 38, 1] + Array("SNKR".utf8) + [3] + (0..<32).map { _ in UInt8.random(in: 0...255) })
            if hangup == .handshakeReadThenClose || hangup == .handshakeReadThenReset { _ = socket.read() }
            if hangup == .handshakeThenClose || hangup == .handshakeReadThenClose { socket.close() } else { socket.reset() }
        case .partialFrameThenReset:
            socket.send([0, 0, 0, 200, 1, 0x53, 0x4E])
            socket.reset()
        case .garbageThenReset:
            for _ in 0..<16 { socket.send((0..<512).map { _ in UInt8.random(in: 0...255) }) }
            socket.reset()
        }
    }

    /// Starts a large `sinkron sync` and kills it once the daemon is sending (SIGKILL: the kernel
    /// then closes its socket under the daemon's writes).
    static func killedSync(home: String, port: Int, after seconds: Double) throws {
        let client = Process()
        client.executableURL = URL(fileURLWithPath: CLI.binary)
        client.arguments = ["sync", "127.0.0.1:\(port)", "--quiet", "--home", home]
        client.standardOutput = FileHandle.nullDevice
        client.standardError = FileHandle.nullDevice
        try client.run()
        Thread.sleep(forTimeInterval: seconds)
        kill(client.processIdentifier, SIGKILL)
        client.waitUntilExit()
    }

    @Test func floodOfClientsThatHangUpAtEveryPointLeavesTheDaemonServing() throws {
        // 8 threads x 60 connections, each behaviour in turn; meanwhile 4 real syncs are killed.
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, desks) = try DaemonTests.court(dir, desks: [("staf-ti", "staf-ti"), ("meja-satu", "meja-satu")])
        // Enough data that a sync is still streaming when it is killed.
        try admin.ok("dev", "fill", "--records", "500", "--sets", "20000", "--batch", "5000")
        let daemon = try Daemon(home: admin.home)
        let port = try daemon.port()
        defer { _ = daemon.stop() }

        let threads = 8
        let perThread = 60
        let done = Mutex(0)
        let group = DispatchGroup()
        for t in 0..<threads {
            group.enter()
            Thread {
                for i in 0..<perThread {
                    let cases = Hangup.allCases
                    Self.misbehave(port: port, cases[(t + i) % cases.count])
                }
                done.withLock { $0 += 1 }
                group.leave()
            }.start()
        }
        // Meanwhile, real syncs killed mid-session, at different moments.
        for (i, delay) in [0.05, 0.15, 0.3, 0.5].enumerated() {
            try Self.killedSync(home: desks[i % 2].home, port: port, after: delay)
        }
        #expect(group.wait(timeout: .now() + 120) == .success, "the flood did not finish in 120 s")
        #expect(done.withLock { $0 } == threads)

        #expect(daemon.process.isRunning, "the daemon died: status \(daemon.process.isRunning ? 0 : daemon.process.terminationStatus)\n\(daemon.log.value.suffix(2000))")
        let summary = try #require(try desks[0].json("sync", "127.0.0.1:\(port)") as? [String: Any])
        #expect(summary["ok"] as? Bool == true && summary["inSync"] as? Bool == true, "\(summary)")
        #expect(try desks[0].ok("digest").stdout == (try admin.ok("digest").stdout))
        #expect(daemon.stop() == 0)
    }

    /// Holds `count` sockets open from `sources` until `stop`: idle ones say nothing, trickling
    /// ones send a byte of a frame now and then; each is reopened as soon as the daemon drops it.
    /// Returns how many times the daemon dropped one.
    static func holdSockets(port: Int, sources: [String], count: Int, stop: Flag, seconds: Double) -> Int {
        let reopened = Counter()
        let group = DispatchGroup()
        let deadline = Date().addingTimeInterval(seconds)
        for i in 0..<count {
            group.enter()
            Thread {
                defer { group.leave() }
                let trickle = i % 2 == 1
                let bytes: [UInt8] = [0, 0, 0, 40, 1, 0x53, 0x4E, 0x4B, 0x52]
                while !stop.isSet && Date() < deadline {
                    guard let socket = try? RawSocket(port: port, source: sources[i % sources.count]) else {
                        Thread.sleep(forTimeInterval: 0.05)
                        continue
                    }
                    socket.setReceiveTimeout(milliseconds: 300)
                    var sent = 0
                    // Until the daemon drops it: EOF or an error (a busy frame first, perhaps).
                    while !stop.isSet && Date() < deadline {
                        if trickle, sent < bytes.count {
                            socket.send([bytes[sent]])
                            sent += 1
                        }
                        if socket.readOrClosed() {
                            reopened.add(1)
                            break
                        }
                    }
                    socket.close()
                }
            }.start()
        }
        _ = group.wait(timeout: .now() + seconds + 10)
        return reopened.value
    }

    @Test func heldAndReopenedSocketsDoNotLockMembersOut() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, desks) = try DaemonTests.court(dir, desks: [("meja-satu", "meja-satu")])
        let desk = desks[0]
        let daemon = try Daemon(home: admin.home)
        let port = try daemon.port()
        defer { _ = daemon.stop() }
        // 40 sockets from ten other addresses of the loopback network (the desk syncs from 127.0.0.1).
        let sources = (2...11).map { "127.0.0.\($0)" }
        let stop = Flag()
        let reopened = Counter()
        let attackers = Thread {
            reopened.add(Self.holdSockets(port: port, sources: sources, count: 40, stop: stop, seconds: 90))
        }
        attackers.start()
        Thread.sleep(forTimeInterval: 1.5)
        var failures: [String] = []
        for i in 1...10 {
            try desk.ok("bug", "file", "--title", "laporan \(i)", "--description", "d")
            let r = try desk.run(["sync", "127.0.0.1:\(port)", "--quiet"])
            if r.status != 0 { failures.append(r.stderr) }
        }
        stop.set()
        Thread.sleep(forTimeInterval: 1)
        #expect(failures.isEmpty, "\(failures.count) of 10 syncs failed: \(failures)")
        #expect(try desk.ok("digest").stdout == (try admin.ok("digest").stdout))
        #expect(daemon.process.isRunning)
        // Strangers leave no merge-session rows: only the ten syncs.
        let merges = try #require(try admin.json("merges") as? [[String: Any]])
        #expect(merges.count == 10, "\(merges.count) merge sessions")
        #expect(daemon.log.value.contains("refused"))
        // The sockets were really dropped (deadline, busy) and reopened meanwhile.
        #expect(reopened.value >= 40, "\(reopened.value) drops")
    }

    @Test func aBusyDaemonSaysSoAndSyncPrintsIt() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, desks) = try DaemonTests.court(dir, desks: [("meja-satu", "meja-satu")])
        let daemon = try Daemon(home: admin.home)
        let port = try daemon.port()
        defer { _ = daemon.stop() }
        // Fill this address's budget of connections in their handshake.
        let held = try (0..<4).map { _ in try RawSocket(port: port) }
        Thread.sleep(forTimeInterval: 0.3)
        let r = try desks[0].run(["sync", "127.0.0.1:\(port)"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("busy") && r.stderr.contains("retry in 5 s"), "\(r.stderr)")
        for socket in held { socket.close() }
        Thread.sleep(forTimeInterval: 0.3)
        try desks[0].ok("sync", "127.0.0.1:\(port)", "--quiet")
    }
}

final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ n: Int) { count.withLock { $0 += n } }
}
