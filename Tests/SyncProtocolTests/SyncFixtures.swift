import Foundation
import Logging
import Replica
import Synchronization
import Testing

@testable import SyncProtocol

/// A temporary folder removed at deinit.
final class TemporaryFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "sinkron-sync-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func home(_ name: String) -> String { path + "/" + name }
}

/// A court: an admin node and desks enrolled by invitation, each in its own home.
struct Court {
    let folder = TemporaryFolder()
    let name: String

    init(name: String = "PN Bengkalis") { self.name = name }

    func admin() throws -> Replica {
        try Replica.initialize(home: folder.home("admin"), court: name, name: "kasubbag", role: .kasubbag)
    }

    func desk(_ name: String, admin: Replica, role: Role = .mejaSatu) throws -> Replica {
        let invitation = folder.home("\(name).invite")
        let receipt = try admin.invite(name: name, role: role, to: invitation, strength: .testing)
        return try Replica.initialize(home: folder.home(name), invitation: invitation, code: receipt.code)
    }

    /// A node that made its own court of the same name: not enrolled here.
    func stranger(court: String? = nil) throws -> Replica {
        try Replica.initialize(home: folder.home("stranger-\(UUID().uuidString.prefix(4))"), court: court ?? name, name: "stranger", role: .stafTI)
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "test.sync")
    logger.logLevel = .critical
    return logger
}()

/// Time that moves only when a test says so.
final class FakeClock: SyncClock {
    private let value = Mutex<UInt64>(1_000)
    func milliseconds() -> UInt64 { value.withLock { $0 } }
    func advance(_ ms: UInt64) { value.withLock { $0 += ms } }
}

/// Collects what a driver writes; one element per write (a frame's records, or a clear message),
/// with the name of the frame it carries ("clear" for the handshake's messages).
final class MemoryTransport: SessionTransport {
    var outbox: [[UInt8]] = []
    var names: [String] = []
    var closed = false
    /// The name of the frame the next write carries (set by `SessionPair`'s hook).
    var next: String?
    /// Changes bytes as they are written (a relay that tampers), given the frame's name.
    var tamper: (([UInt8], String) -> [UInt8])?
    func write(_ bytes: [UInt8]) {
        let name = next ?? "clear"
        next = nil
        outbox.append(tamper?(bytes, name) ?? bytes)
        names.append(name)
    }
    func close() { closed = true }
    /// The write that carried the first frame named `name`.
    func first(_ name: String) -> [UInt8]? { names.firstIndex(of: name).map { outbox[$0] } }
}

/// Two drivers joined by in-memory transports; writes are delivered one at a time, alternating.
final class SessionPair {
    let client: SessionDriver
    let server: SessionDriver
    let clientOut = MemoryTransport()
    let serverOut = MemoryTransport()
    let clock = FakeClock()
    /// Writes delivered so far, both ways.
    private(set) var delivered = 0
    /// Every frame each side sent inside the encrypted channel, before sealing.
    private(set) var clientFrames: [Frame] = []
    private(set) var serverFrames: [Frame] = []
    /// Changes the client's frames before they are sealed (a member that lies).
    var clientRewrite: ((Frame) -> Frame)?

    init(client: any SessionStore, server: any SessionStore, config: SessionConfig = SessionConfig()) {
        self.client = SessionDriver(store: client, direction: .outbound, address: "memory:server", config: config, clock: clock, logger: quietLogger)
        self.server = SessionDriver(store: server, direction: .inbound, address: "memory:client", config: config, clock: clock, logger: quietLogger)
        self.client.transport = clientOut
        self.server.transport = serverOut
        self.client.rewriteOutgoing = { [unowned self] original in
            let rewritten = clientRewrite.map { $0(original) }
            let frame = rewritten ?? original
            clientFrames.append(frame)
            clientOut.next = frame.name
            return rewritten
        }
        self.server.rewriteOutgoing = { [unowned self] frame in
            serverFrames.append(frame)
            serverOut.next = frame.name
            return nil
        }
    }

    func start() {
        client.start()
        server.start()
    }

    /// Delivers writes until both sides are quiet, or until `limit` were delivered.
    func pump(limit: Int = .max) {
        while delivered < limit {
            var moved = false
            if let bytes = take(clientOut) {
                server.received(bytes)
                delivered += 1
                moved = true
            }
            if delivered < limit, let bytes = take(serverOut) {
                client.received(bytes)
                delivered += 1
                moved = true
            }
            if !moved { break }
        }
        if delivered < limit {
            // A side that closed with nothing left to deliver: the other sees the connection end.
            if clientOut.closed, clientOut.outbox.isEmpty { server.transportClosed(nil) }
            if serverOut.closed, serverOut.outbox.isEmpty { client.transportClosed(nil) }
        }
    }

    /// Cuts the connection: both sides see it fail; undelivered writes are lost.
    func cut() {
        let error = SyncError(.connection, "cut by the test")
        client.transportClosed(error)
        server.transportClosed(error)
    }

    func run() -> (client: SessionSummary, server: SessionSummary) {
        start()
        pump()
        return (client.summary, server.summary)
    }

    private func take(_ transport: MemoryTransport) -> [UInt8]? {
        guard !transport.outbox.isEmpty else { return nil }
        transport.names.removeFirst()
        return transport.outbox.removeFirst()
    }
}

/// Runs `body` on a dedicated thread (event loops block their thread) and awaits its result.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

extension Replica {
    /// Files `count` bug reports (desks), or writes `count` records in bulk (other roles, which
    /// the SOP does not let file bugs).
    func fileBugs(_ count: Int, prefix: String) throws {
        guard identity.role == .mejaSatu || identity.role == .userSipp else {
            try fill(records: count, sets: 0, batch: count, seed: UInt64(count)) { _ in }
            return
        }
        for i in 0..<count { _ = try fileBug(title: "\(prefix) bug \(i)", description: "SIPP error \(i) at \(prefix)") }
    }
}

/// A value shared between threads.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func set(_ value: Value) { mutex.withLock { $0 = value } }
}
