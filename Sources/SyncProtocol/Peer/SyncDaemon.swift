import Foundation
import Logging
import Replica
import Synchronization

/// `sinkron serve`: listens, dials its peers, re-dials with backoff, syncs again soon after the
/// replica changes, and stops cleanly on `stop()` or SIGINT/SIGTERM.
public final class SyncDaemon: Sendable {
    public struct Options: Sendable {
        public var listen: PeerAddress
        /// Peers given on the command line (the replica's stored peers are added, and re-read).
        public var peers: [PeerAddress] = []
        public var config = SessionConfig()
        /// How often the replica's vector is checked for new operations (ms).
        public var pollInterval: UInt64 = 300
        /// A peer is synced at least this often even when nothing changed here (ms), to pick up
        /// what it wrote if it cannot dial us.
        public var resyncInterval: UInt64 = 30_000
        public var backoff = Backoff()
        /// Slots for connections still in their handshake and for members' sessions.
        public var admission = Admission.Limits()
        /// At most one line this often (ms) about refused or unauthenticated connections.
        public var refusalLogInterval: UInt64 = 10_000
        public var handleSignals = true
        public var discovery = Discovery()

        /// LAN discovery by signed UDP beacons (see `Beacon`).
        public struct Discovery: Sendable {
            public var enabled = true
            /// Where beacons are heard.
            public var listen = PeerAddress(host: "0.0.0.0", port: 7071)
            /// Where ours go; empty: the broadcast address of every IPv4 interface, at the
            /// discovery port (`UDPSocket.broadcastAddresses`).
            public var targets: [PeerAddress] = []
            /// A beacon at start and this often (ms).
            public var interval: UInt64 = 30_000
            /// A discovered peer not heard of for this long is forgotten (ms).
            public var forgetAfter: UInt64 = 90_000

            public init() {}
        }

        public init(listen: PeerAddress) { self.listen = listen }
    }

    private let home: String
    private let options: Options
    private let logger: Logger
    private let loop: EventLoop
    private let boundPort = Mutex<Int?>(nil)

    public init(home: String, options: Options, logger: Logger = Logger(label: "sinkron.serve")) throws {
        self.home = home
        self.options = options
        self.logger = logger
        loop = try EventLoop()
    }

    /// Connection objects of this daemon still in memory, open or not (tests: none may leak).
    package var liveConnections: Int { loop.liveConnections.load(ordering: .relaxed) }

    /// The port listened on, once `run` has bound it (useful with port 0).
    public var port: Int? { boundPort.withLock { $0 } }

    /// Stops the daemon: `run` returns after closing every connection. Safe from any thread.
    public func stop() { loop.stop() }

    /// Runs until stopped, on the calling thread (which then owns the replica).
    public func run(onListening: ((Int) -> Void)? = nil) throws {
        BrokenPipe.ignore()
        raiseOpenFileLimit()
        let replica = try Replica(home: home)
        // A session cut off by a crash may have left operations in the log unmerged.
        do { try replica.mergeUnmerged() } catch { logger.error("could not merge the operations an interrupted sync left: \(error)") }
        var options = options
        let state = DaemonState(replica: replica, logger: logger, loop: loop)
        let listener = try TCPListener(loop: loop, address: options.listen) { connection in state.accept(connection) }
        boundPort.withLock { $0 = listener.port }
        options.config.listenPort = UInt16(listener.port)
        state.configure(options)
        logger.info("sinkron serve: node \(replica.identity.name) of \(replica.identity.court) listening on \(options.listen.host):\(listener.port)")
        if options.handleSignals {
            // A parent (a test runner, a service manager) may have left these blocked: the daemon
            // must still stop on them.
            var unblock = sigset_t()
            sigemptyset(&unblock)
            sigaddset(&unblock, SIGINT)
            sigaddset(&unblock, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
            for signal in [SIGINT, SIGTERM] {
                _ = SignalWatcher(loop: loop, signal: signal) { [logger, loop] signal in
                    logger.info("signal \(signal): shutting down")
                    loop.stop()
                }
            }
        }
        if options.discovery.enabled {
            let udp = try UDPSocket(loop: loop, address: options.discovery.listen)
            udp.onDatagram = { bytes, from in state.heard(bytes, from: from) }
            state.udp = udp
            let beacons = LoopTimer(loop: loop) { state.announce() }
            beacons.start(after: 0, every: options.discovery.interval)
            let targets = options.discovery.targets.isEmpty ? "the broadcast address of each interface" : options.discovery.targets.map(\.description).joined(separator: ", ")
            logger.info("discovery: beacons heard on \(options.discovery.listen.host):\(udp.port), sent to \(targets)")
        }
        let poll = LoopTimer(loop: loop) { state.poll() }
        poll.start(after: 0, every: options.pollInterval)
        let started = Date()
        let listen = "\(options.listen.host):\(listener.port)"
        let status = LoopTimer(loop: loop) { [home] in state.status(startedAt: started, listen: listen).write(home: home) }
        status.start(after: 0, every: DaemonStatus.writeInterval)
        onListening?(listener.port)
        loop.run()
        DaemonStatus.remove(home: home)
        logger.info("sinkron serve stopped")
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's state, on the loop thread only.
final class DaemonState {
    struct Peer {
        var backoff: Backoff
        var busy = false
        var nextAttempt: UInt64 = 0
        /// Our vector when the last good session with this peer ended.
        var syncedVector: VersionVector?
        var lastSync: UInt64 = 0
        var failing = false
        /// Learned from an inbound session (the peer's address and announced port), not configured:
        /// forgotten when it cannot be reached.
        var learned = false
        /// Discovered by its beacon (the node it claims, when we last heard it): forgotten when
        /// no beacon came for `forgetAfter`.
        var discovered: (node: NodeID, heard: UInt64)?
        /// The last good session: when, and what each side lacked then (operations we sent it,
        /// operations it sent us).
        var lastContact: UInt64?
        var lag: (behind: Int, ahead: Int) = (0, 0)
        /// Our vector when the last good session left both sides equal: what the peer surely
        /// holds, so that `status` can say live how far behind it is (what we hold beyond it).
        var contactVector: VersionVector?
    }

    let replica: Replica
    var options = SyncDaemon.Options(listen: PeerAddress(host: "127.0.0.1", port: 0))
    let logger: Logger
    let loop: EventLoop
    let clock = MonotonicClock()
    var peers: [PeerAddress: Peer] = [:]
    var admission = Admission()
    var refusals: RefusalLog
    /// Inbound connections still in their handshake, by admission id.
    var pending: [Admission.ConnectionID: SyncConnection] = [:]
    var nextConnection: Admission.ConnectionID = 1
    /// Inbound connections holding a session slot.
    var inSession: Set<Admission.ConnectionID> = []
    var lastPeerReload: UInt64?
    var lastScheduleRun: UInt64?
    /// How often the daemon makes the court's scheduled instances due for this desk.
    static let scheduleInterval: UInt64 = 60_000
    var udp: UDPSocket?
    /// Enrolled, unrevoked members' keys by node (for beacons), re-read with the peer list.
    var memberKeys: [NodeID: [UInt8]] = [:]
    var lastAnnounce: UInt64 = 0
    var ignoredBeacons = RefusalLog(interval: 60_000, noun: "beacon", verb: "ignored")

    init(replica: Replica, logger: Logger, loop: EventLoop) {
        self.replica = replica
        self.logger = logger
        self.loop = loop
        refusals = RefusalLog(interval: 10_000)
    }

    func configure(_ options: SyncDaemon.Options) {
        self.options = options
        admission = Admission(limits: options.admission)
        refusals = RefusalLog(interval: options.refusalLogInterval)
        for address in options.peers { peers[address] = Peer(backoff: options.backoff) }
    }

    /// An inbound connection: a pending slot (or busy), a short handshake deadline, then a
    /// session slot once the peer proves it is a member. Whatever happens before that is counted,
    /// not logged line by line and not written to the replica.
    func accept(_ connection: TCPConnection) {
        let id = nextConnection
        nextConnection += 1
        let host = (try? PeerAddress(parsing: connection.remoteAddress).host) ?? connection.remoteAddress
        switch admission.arrive(id, from: host) {
        case .refuse(let error):
            refuse(connection, error)
            return
        case .admitEvicting(let evicted):
            if let victim = pending.removeValue(forKey: evicted) {
                victim.driver.abort(admission.busy("its slot went to a connection from an address holding fewer"))
            }
        case .admit:
            break
        }
        let sync = SyncConnection(
            connection: connection, replica: replica, direction: .inbound, config: options.config, clock: clock, logger: logger
        ) { [self] summary in
            pending[id] = nil
            admission.left(id, wasSession: inSession.remove(id) != nil)
            if summary.session == nil && !summary.ok {
                refusals.count(summary.errorCode ?? "failed", from: connection.remoteAddress, why: summary.error ?? "failed", now: clock.milliseconds(), logger: logger)
            }
            learn(from: summary, remote: connection.remoteAddress)
        }
        sync.driver.admit = { [self] in
            pending[id] = nil
            let refused = admission.authenticated(id)
            if refused == nil { inSession.insert(id) }
            return refused
        }
        pending[id] = sync
        sync.start()
    }

    /// Answers busy in a clear error frame (the peer learns no more than that a Sinkron node is
    /// there) and closes.
    private func refuse(_ connection: TCPConnection, _ error: SyncError) {
        refusals.count(error.code.rawValue, from: connection.remoteAddress, why: error.message, now: clock.milliseconds(), logger: logger)
        connection.write(Frame.error(code: error.code.rawValue, message: error.message).encoded())
        connection.closeGracefully(linger: TCPConnection.refusalLinger)
    }

    func poll() {
        let now = clock.milliseconds()
        refusals.flush(now: now, logger: logger)
        if lastPeerReload.map({ now >= $0 + 5_000 }) ?? true {
            lastPeerReload = now
            reloadStoredPeers()
            if udp != nil { reloadMembers() }
        }
        forgetSilentPeers(now: now)
        if lastScheduleRun.map({ now >= $0 + Self.scheduleInterval }) ?? true {
            // Routine work appears when due on the desks that do it, web app or not.
            lastScheduleRun = now
            do {
                let made = try replica.runSchedules()
                if !made.isEmpty { logger.info("made \(made.count) scheduled task(s)", metadata: ["records": "\(made.map { String($0.hex.prefix(8)) })"]) }
            } catch {
                logger.error("cannot make the scheduled tasks due: \(error)")
            }
        }
        let vector: VersionVector
        do { vector = try replica.vector() } catch {
            logger.error("cannot read the replica's vector: \(error)")
            return
        }
        for (address, peer) in peers where !peer.busy && now >= peer.nextAttempt {
            let changed = peer.syncedVector != vector
            if changed || now >= peer.lastSync + options.resyncInterval { dial(address) }
        }
    }

    func status(startedAt: Date, listen: String) -> DaemonStatus {
        let now = clock.milliseconds()
        let vector = try? replica.vector()
        func date(_ ms: UInt64) -> Date { Date(timeIntervalSinceNow: -Double(now - min(now, ms)) / 1000) }
        let peerList = peers.sorted { $0.key.description < $1.key.description }.map { address, peer in
            let pending = vector.flatMap { v in peer.contactVector.map { Self.missing(in: $0, from: v) } }
            return DaemonStatus.Peer(
                address: address.description, source: peer.discovered != nil ? "discovered" : peer.learned ? "learned" : "static",
                lastSync: peer.lastSync == 0 ? nil : date(peer.lastSync), failing: peer.failing, lastContact: peer.lastContact.map(date),
                behind: peer.lastContact == nil ? nil : peer.lag.behind, ahead: peer.lastContact == nil ? nil : peer.lag.ahead,
                pendingOps: pending, pendingSince: pending.flatMap { $0 > 0 ? peer.lastContact.map(date) : nil })
        }
        return DaemonStatus(
            pid: getpid(), listen: listen, startedAt: startedAt, updatedAt: Date(), sessions: admission.sessions, pending: admission.pendingCount,
            refused: refusals.totals, peers: peerList)
    }

    /// Operations `vector` holds beyond `base`: what a peer that held `base` still lacks.
    static func missing(in base: VersionVector, from vector: VersionVector) -> Int {
        Int(vector.entries.reduce(into: UInt64(0)) { sum, entry in sum += entry.value - min(entry.value, base[entry.key]) })
    }

    /// A daemon that dialed us announces its listening port: dial it back when we have news, so
    /// that a node nobody lists (B in A → B ← C) still passes C's operations on to A at once.
    private func learn(from summary: SessionSummary, remote: String) {
        guard summary.ok, let port = summary.peerListenPort, let host = try? PeerAddress(parsing: remote).host else { return }
        let address = PeerAddress(host: host, port: port)
        let now = clock.milliseconds()
        let known = peers[address] != nil
        var peer = peers[address] ?? Peer(backoff: options.backoff)
        if !known {
            peer.learned = true
            peer.lastSync = now
        }
        // An inbound session is contact too: what it left equal counts for the peer's lag.
        if summary.inSync, let vector = try? replica.vector() {
            peer.syncedVector = vector
            peer.contactVector = vector
        }
        peer.lastContact = now
        peer.lag = (summary.sent, summary.received)
        peers[address] = peer
        if !known { logger.info("peer \(summary.peerName ?? "?") listens on \(address): will dial it when there is news") }
    }

    // MARK: Discovery

    /// Sends our beacon to every target.
    func announce() {
        guard let udp, let beacon = try? Beacon.make(replica: replica, port: options.config.listenPort) else { return }
        lastAnnounce = clock.milliseconds()
        let targets = options.discovery.targets.isEmpty ? UDPSocket.broadcastAddresses(port: options.discovery.listen.port) : options.discovery.targets
        for target in targets { udp.send(beacon.encoded, to: target) }
    }

    /// A datagram on the discovery port: a hint, used only when it is a beacon of this court,
    /// signed by an enrolled member's key, and fresh. Anything else is counted, never logged.
    func heard(_ bytes: [UInt8], from: PeerAddress) {
        let now = clock.milliseconds()
        guard let beacon = Beacon.decode(bytes) else { return ignoreBeacon("not-a-beacon", from) }
        guard beacon.courtTag == Beacon.courtTag(root: HandshakeIdentity.rootBytes(hex: replica.courtRoot ?? "")) else { return ignoreBeacon("other-court", from) }
        guard beacon.node != replica.identity.node else { return }
        if memberKeys.isEmpty { reloadMembers() }
        guard let key = memberKeys[beacon.node] else { return ignoreBeacon("unknown-node", from) }
        guard beacon.verifies(publicKey: key) else { return ignoreBeacon("bad-signature", from) }
        let court = replica.courtTime
        guard max(court, beacon.time) - min(court, beacon.time) <= Beacon.maxSkew else { return ignoreBeacon("stale-beacon", from) }
        let address = PeerAddress(host: from.host, port: Int(beacon.port))
        if var peer = peers[address] {
            if peer.discovered != nil { peer.discovered = (beacon.node, now) }
            peers[address] = peer
            return
        }
        // The node moved (DHCP): forget where it was.
        for (old, peer) in peers where peer.discovered?.node == beacon.node && !peer.busy { peers[old] = nil }
        var peer = Peer(backoff: options.backoff)
        peer.discovered = (beacon.node, now)
        peers[address] = peer
        logger.info("discovered node \(beacon.node.short) at \(address) by its beacon; the handshake will decide")
        // Answer at once (at most ten times a second), so that it need not wait for our next beacon.
        if now >= lastAnnounce + 100 { announce() }
    }

    private func ignoreBeacon(_ code: String, _ from: PeerAddress) {
        ignoredBeacons.count(code, from: from.description, why: code, now: clock.milliseconds(), logger: logger)
    }

    private func reloadMembers() {
        guard let members = try? replica.members() else { return }
        var keys: [NodeID: [UInt8]] = [:]
        for member in members where !member.revoked {
            if let node = ID128(hex: member.node) { keys[node] = HandshakeIdentity.rootBytes(hex: member.publicKey) }
        }
        memberKeys = keys
    }

    private func forgetSilentPeers(now: UInt64) {
        for (address, peer) in peers {
            guard let discovered = peer.discovered, !peer.busy, now >= discovered.heard + options.discovery.forgetAfter else { continue }
            peers[address] = nil
            logger.info("forgot discovered peer \(address): no beacon for \(options.discovery.forgetAfter / 1000) s")
        }
    }

    private func reloadStoredPeers() {
        do {
            for entry in try replica.peers() {
                guard let address = try? PeerAddress(parsing: entry.address), peers[address] == nil else { continue }
                peers[address] = Peer(backoff: options.backoff)
                logger.info("peer \(address) added from the replica's peer list")
            }
        } catch {
            logger.error("cannot read the peer list: \(error)")
        }
    }

    private func dial(_ address: PeerAddress) {
        guard admission.dial() else { return }
        peers[address]?.busy = true
        TCPConnection.connect(loop: loop, to: address) { [self] result in
            switch result {
            case .failure(let error):
                admission.left(nil, wasSession: true)
                ended(address, ok: false, error: error.description)
            case .success(let connection):
                let sync = SyncConnection(
                    connection: connection, replica: replica, direction: .outbound, config: options.config, clock: clock, logger: logger
                ) { [self] summary in
                    admission.left(nil, wasSession: true)
                    ended(
                        address, ok: summary.ok, error: summary.error, inSync: summary.inSync, lag: (summary.sent, summary.received),
                        busy: summary.errorCode == SyncError.Code.busy.rawValue)
                }
                sync.start()
            }
        }
    }

    private func ended(_ address: PeerAddress, ok: Bool, error: String?, inSync: Bool = false, lag: (Int, Int) = (0, 0), busy: Bool = false) {
        guard var peer = peers[address] else { return }
        let now = clock.milliseconds()
        peer.busy = false
        peer.lastSync = now
        if ok {
            peer.lastContact = now
            peer.lag = lag
            if peer.failing { logger.info("peer \(address) is reachable again") }
            peer.failing = false
            peer.backoff.reset()
            peer.syncedVector = inSync ? try? replica.vector() : nil
            if let synced = peer.syncedVector { peer.contactVector = synced }
            // Not in sync (a write during the session): go again soon, not in a hot loop.
            peer.nextAttempt = inSync ? now : now + 1_000
        } else if busy {
            // It is up but full: come back when it said, not sooner, and keep the address.
            let seconds = error.flatMap(SyncError.retryAfter) ?? 5
            peer.nextAttempt = now + max(UInt64(seconds) * 1000, peer.backoff.nextDelay())
            logger.info("peer \(address) is busy; retrying in \(seconds) s or later")
        } else if peer.learned {
            peers[address] = nil
            logger.info("peer \(address) (learned from an inbound session) is unreachable: \(error ?? "failed"); forgotten until it dials again")
            return
        } else {
            let delay = peer.backoff.nextDelay()
            peer.nextAttempt = now + delay
            peer.syncedVector = nil
            if !peer.failing || peer.backoff.failures % 10 == 0 {
                logger.warning("peer \(address): \(error ?? "failed"); retrying in \(String(format: "%.1f", Double(delay) / 1000)) s (attempt \(peer.backoff.failures))")
            }
            peer.failing = true
        }
        peers[address] = peer
        try? replica.recordPeerResult(address.description, error: ok ? nil : error ?? "failed")
    }
}

/// Lets the daemon hold as many sockets as the system allows it (the soft limit is often 1,024):
/// a flood of connections should meet the admission budget, not a lack of descriptors.
private func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
