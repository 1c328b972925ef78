import Foundation
import Hummingbird
import Logging
import Replica
import Synchronization

/// The desk and admin web app a node serves to the person at its PC.
///
/// Every page reads the replica through its query API and every form calls the same library
/// function as the CLI, so a rule or a check exists once. The app listens on loopback, accepts
/// only requests whose Host is its own address, signs browsers in with one-time tokens, checks a
/// CSRF token on every POST and escapes every value (see `HTML`).
public final class WebApp: Sendable {
    public struct Options: Sendable {
        /// The replica's folder.
        public var home: String
        /// The Host header values accepted (e.g. `127.0.0.1:7080`); the server adds its bound address.
        public var allowedHosts: [String] = []
        /// The court's time zone for dates (WIB unless told otherwise).
        public var timeZone = TimeZone(identifier: "Asia/Jakarta") ?? .current

        public init(home: String) { self.home = home }
    }

    let options: Options
    let replica: ReplicaHandle
    /// Signed-in browsers, kept in the replica's folder across restarts.
    let sessions: Mutex<WebSessionStore>
    let hosts: Mutex<Set<String>>
    let dates: CourtDates
    /// The last overview and what it was computed for (operations held, court minute): the
    /// overview aggregates every record, so it is computed again only when either changes.
    let overviewCache = Mutex<(key: String, overview: Overview)?>(nil)
    /// The last verify report and digest, for the operations held then (both read the whole replica).
    let verifyCache = Mutex<(mark: Int64, report: VerifyReport, digest: String)?>(nil)
    /// At most this many signed-in browsers are kept; the longest unused is dropped first.
    static let maxSessions = 32
    static let sessionCookie = "sinkron_session"

    public init(options: Options) throws {
        self.options = options
        replica = try ReplicaHandle(home: options.home)
        sessions = Mutex(WebSessionStore(path: WebSessionStore.file(options.home)))
        hosts = Mutex(Set(options.allowedHosts))
        dates = CourtDates(timeZone: options.timeZone)
    }

    /// Accepts `host` (e.g. `127.0.0.1:53124`) as this app's address.
    public func allow(host: String) {
        hosts.withLock { _ = $0.insert(host) }
    }

    /// The router with every page, for a server or for HummingbirdTesting.
    public func router() -> Router<WebContext> {
        let router = Router(context: WebContext.self)
        router.add(middleware: WebGuard(app: self))
        addRoutes(router)
        return router
    }

    /// Runs the web app on `host:port` until cancelled (or, with `handleSignals`, until SIGINT or
    /// SIGTERM). `onListening` gets the bound address.
    public func run(host: String, port: Int, logger: Logger, handleSignals: Bool = true, onListening: @escaping @Sendable (String) -> Void) async throws {
        let app = Application(
            router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "sinkron"),
            onServerRunning: { [self] channel in
                let bound = "\(host):\(channel.localAddress?.port ?? port)"
                self.allow(host: bound)
                if host == "127.0.0.1" { self.allow(host: "localhost:\(channel.localAddress?.port ?? port)") }
                try? bound.write(toFile: LoginTokens.addressFile(self.options.home), atomically: true, encoding: .utf8)
                onListening(bound)
            }, logger: logger)
        if handleSignals {
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } else {
            try await app.run()
        }
    }

    // MARK: Sessions

    func newSession() -> WebSession {
        let token = randomToken()
        let now = Date()
        sessions.withLock { $0.add(token, now: now, limit: Self.maxSessions) }
        return WebSession(id: token, csrf: WebSessionStore.csrf(token), lastSeen: now)
    }

    func session(_ id: String) -> WebSession? {
        let now = Date()
        guard id.count == 64, sessions.withLock({ $0.touch(id, now: now) }) else { return nil }
        return WebSession(id: id, csrf: WebSessionStore.csrf(id), lastSeen: now)
    }
}

/// The replica, opened once, used by one request at a time. Before each use it reloads what the
/// sync daemon (another process, or another thread) added.
final class ReplicaHandle: @unchecked Sendable {
    // Recursive: an admin page may render another page (after a refused form) while it holds the replica.
    private let lock = NSRecursiveLock()
    private let replica: Replica

    init(home: String) throws {
        replica = try Replica(home: home)
        try replica.prepareListIndexes()
    }

    func use<T>(_ body: (Replica) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        try replica.refresh()
        return try body(replica)
    }
}
