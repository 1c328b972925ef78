import Foundation
import Logging
import Replica
import Synchronization
import Testing

@testable import SyncProtocol

/// The real libuv transport, in-process, on 127.0.0.1 with ports chosen by the kernel.
@Suite("libuv transport on loopback", .serialized)
struct LoopbackTests {
    /// A daemon on its own thread; stopped and joined by `stop()`.
    final class RunningDaemon: Sendable {
        let daemon: SyncDaemon
        let port: Int
        private let finished = Locked(false)

        init(home: String, peers: [Int] = [], pollInterval: UInt64 = 100) async throws {
            var options = SyncDaemon.Options(listen: PeerAddress(host: "127.0.0.1", port: 0))
            options.peers = peers.map { PeerAddress(host: "127.0.0.1", port: $0) }
            options.pollInterval = pollInterval
            options.handleSignals = false
            options.discovery.enabled = false
            options.backoff = Backoff(base: 100, cap: 1_000)
            var logger = Logger(label: "test.daemon")
            logger.logLevel = .critical
            let daemon = try SyncDaemon(home: home, options: options, logger: logger)
            self.daemon = daemon
            let ready = Locked<Result<Int, any Error>?>(nil)
            let finished = finished
            let thread = Thread {
                do { try daemon.run { port in ready.set(.success(port)) } } catch { ready.set(.failure(error)) }
                finished.set(true)
            }
            thread.start()
            var port: Int?
            for _ in 0..<500 {
                if let result = ready.value {
                    port = try result.get()
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            self.port = try #require(port, "the daemon did not start")
        }

        func stop() async throws {
            daemon.stop()
            for _ in 0..<500 where !finished.value { try await Task.sleep(for: .milliseconds(10)) }
            #expect(finished.value, "the daemon did not stop")
        }
    }

    static func sync(_ home: String, port: Int) async throws -> SessionSummary {
        try await onThread { try SyncClient.run(home: home, address: PeerAddress(host: "127.0.0.1", port: port), logger: quietLogger) }
    }

    static func digest(_ home: String) throws -> String { try Replica(home: home).digest() }

    @Test("sinkron sync against sinkron serve: one session, equal digests, both sides logged")
    func clientServer() async throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("desk", admin: admin)
        try admin.fill(records: 40, sets: 3_000, batch: 500, seed: 1) { _ in }
        try desk.fileBugs(5, prefix: "desk")
        let daemon = try await RunningDaemon(home: admin.home)
        let summary = try await Self.sync(desk.home, port: daemon.port)
        try await daemon.stop()
        #expect(summary.ok && summary.inSync, "\(summary.error ?? "")")
        #expect(summary.received >= 3_040 && summary.sent >= 5)
        #expect(try Self.digest(admin.home) == Self.digest(desk.home))
        #expect(try Replica(home: admin.home).sessions(limit: 1).first?.kind == "sync-in")
        // Each side's merge history shows, per origin, what came in and what went out.
        let (adminOrigin, deskOrigin) = (try Replica(home: admin.home).origin.hex, try Replica(home: desk.home).origin.hex)
        let served = try #require(try Replica(home: admin.home).sessions(limit: 1).first?.traffic)
        #expect(served.first { $0.origin == deskOrigin }.map { ($0.received, $0.sent) }.map { $0.0 >= 5 && $0.1 == 0 } == true, "\(served)")
        #expect(served.first { $0.origin == adminOrigin }.map { $0.sent >= 3_040 && $0.received == 0 } == true, "\(served)")
        let dialled = try #require(try Replica(home: desk.home).sessions(limit: 1).first)
        #expect(dialled.kind == "sync-out" && (dialled.traffic.first { $0.origin == deskOrigin }?.sent ?? 0) >= 5)
        #expect(dialled.traffic.first { $0.origin == adminOrigin }?.received == summary.receivedByOrigin[adminOrigin])
        #expect(dialled.traffic.map(\.received).reduce(0, +) == dialled.received && dialled.traffic.map(\.sent).reduce(0, +) == dialled.sent)
    }

    @Test("connection refused is a clear error, not a hang")
    func refused() async throws {
        let court = Court()
        let admin = try court.admin()
        // Bind and stop a daemon to get a port nobody listens on.
        let daemon = try await RunningDaemon(home: admin.home)
        let port = daemon.port
        try await daemon.stop()
        await #expect(throws: SyncError.self) { try await Self.sync(admin.home, port: port) }
        do {
            _ = try await Self.sync(admin.home, port: port)
        } catch let error as SyncError {
            #expect(error.code == .connection && error.message.contains("connection refused"))
        }
    }

    @Test("an outsider is refused over TCP and the daemon keeps serving")
    func outsider() async throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("desk", admin: admin)
        let outsider = try court.stranger(court: "PN Dumai")
        let daemon = try await RunningDaemon(home: admin.home)
        let refused = try await Self.sync(outsider.home, port: daemon.port)
        let ok = try await Self.sync(desk.home, port: daemon.port)
        try await daemon.stop()
        #expect(!refused.ok && refused.received == 0)
        #expect(refused.error?.contains("not a node of this court") == true, "\(refused.error ?? "")")
        #expect(ok.ok)
        // The refusal is counted and logged by the daemon; only the member's session is a row.
        let rows = try Replica(home: admin.home).sessions(limit: 5)
        #expect(rows.count == 1 && rows.first?.peer == "desk", "\(rows)")
    }

    @Test("three daemons in a line, A–B–C: writes on A and C reach everyone")
    func line() async throws {
        let court = Court()
        let a = try court.admin()
        let b = try court.desk("b", admin: a)
        let c = try court.desk("c", admin: a)
        let homes = [a.home, b.home, c.home]
        let db = try await RunningDaemon(home: b.home)
        let da = try await RunningDaemon(home: a.home, peers: [db.port])
        let dc = try await RunningDaemon(home: c.home, peers: [db.port])
        // Desk commands write while the daemons run (another connection to the same files).
        try Replica(home: a.home).fileBugs(3, prefix: "a")  // bulk records: the admin does not file bugs
        try Replica(home: c.home).fileBugs(4, prefix: "c")
        var converged = false
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(100))
            let digests = try homes.map(Self.digest)
            if Set(digests).count == 1 {
                converged = true
                break
            }
        }
        for d in [da, db, dc] { try await d.stop() }
        #expect(converged, "the line did not converge within 10 s")
        #expect(try Replica(home: a.home).list().filter { $0.title.hasPrefix("c bug") }.count == 4)
    }

    @Test("ended sessions and dropped connections leave nothing alive behind")
    func nothingKept() async throws {
        let court = Court()
        let admin = try court.admin()
        let desk = try court.desk("desk", admin: admin)
        let daemon = try await RunningDaemon(home: admin.home)
        _ = try await Self.sync(desk.home, port: daemon.port)
        try await Task.sleep(for: .milliseconds(300))
        // Counted on the daemon's own loop (other suites run in parallel in this process).
        for _ in 0..<30 where daemon.daemon.liveConnections > 0 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(daemon.daemon.liveConnections == 0)
        for i in 0..<60 {
            let port = daemon.port
            try await onThread {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(fd) }
                var to = sockaddr_in()
                to.sin_family = sa_family_t(AF_INET)
                to.sin_port = in_port_t(UInt16(port).bigEndian)
                to.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
                _ = withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                if i % 2 == 0 { _ = [UInt8](repeating: 0xFF, count: 5).withUnsafeBytes { send(fd, $0.baseAddress, 5, Int32(MSG_NOSIGNAL)) } }
            }
            if i % 10 == 0 { _ = try await Self.sync(desk.home, port: daemon.port) }
        }
        // Graceful closes linger up to 2 s for the peer's end.
        for _ in 0..<50 where daemon.daemon.liveConnections > 0 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(daemon.daemon.liveConnections == 0)
        try await daemon.stop()
    }
}
