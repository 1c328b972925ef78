import Foundation
import Logging
import Replica
import ReplicaTesting
import SyncSession

/// A deterministic simulation of one court: N real replicas (each on its own SQLite file, joined
/// by invitation) and the real `SessionDriver`/`Session` between them, over a simulated network
/// with delays, cuts at any byte, stalls, partitions, node crashes (also between a batch's apply
/// and its acknowledgement) with reopening of the same file, and per-node clocks with skew.
///
/// Everything random comes from one seed. `run()` returns what went wrong (nothing, when all is well).
public final class Simulation {
    public struct Options: Sendable {
        /// Nodes in the court (at least 3: kasubbag, meja-satu, umum-keuangan, then others).
        public var nodes = 5
        /// User actions before the network heals.
        public var actions = 60
        /// Print every event (for replaying a failing seed).
        public var trace = false
        /// An outsider with a same-name court and a member that lies about its role inject
        /// operations through bundles and relays (see `Simulation+Adversaries`).
        public var adversaries = true
        /// Keep each node's log as text in the result (`Result.logs`), to compare two runs.
        public var keepLogs = false
        public init() {}
    }

    /// What a run did, and what went wrong.
    public struct Result: Sendable {
        public var seed: UInt64
        public var failures: [String] = []
        public var stats: [String: Int] = [:]
        /// Operations in the converged log.
        public var operations = 0
        /// With `Options.keepLogs`: each node's whole log, one line per operation (origin, seq,
        /// stamp, payload and signature in hex, in origin and seq order), by node name.
        public var logs: [String: String] = [:]
        public var faults: Int { ["cut", "stall", "crash", "crash after apply", "partition", "clock jump", "reopen", "peer vanished"].reduce(0) { $0 + stats[$1, default: 0] } }
        public var ok: Bool { failures.isEmpty }
        public init(seed: UInt64) { self.seed = seed }
    }

    final class Node {
        let index: Int
        let name: String
        let role: Role
        let clock: ManualClock
        var replica: Replica?
        var crashPending = false
        var restartAt: UInt64 = 0
        /// Highest seq of each origin a user was told is saved here.
        var acknowledged: [OriginID: UInt64] = [:]

        init(index: Int, name: String, role: Role, clock: ManualClock, replica: Replica) {
            self.index = index
            self.name = name
            self.role = role
            self.clock = clock
            self.replica = replica
        }
    }

    /// One direction of a connection, as the driver sees it.
    final class Pipe: SessionTransport {
        weak var connection: Connection?
        let side: Int
        init(side: Int) { self.side = side }
        func write(_ bytes: [UInt8]) { connection?.write(from: side, bytes) }
        func close() { connection?.close(from: side) }
    }

    /// A TCP connection: two in-order byte streams with delays; cut at a byte, stalled, or closed.
    final class Connection {
        enum Item { case bytes([UInt8]), fin, cut }
        unowned let world: Simulation
        let id: Int
        let nodes: [Int]
        var drivers: [SessionDriver] = []
        let pipes = [Pipe(side: 0), Pipe(side: 1)]
        var queues: [[(at: UInt64, item: Item)]] = [[], []]
        var lastAt: [UInt64] = [0, 0]
        var finDelivered = [false, false]
        /// Bytes left before the connection is cut (nil: never).
        var cutBudget: Int?
        /// A stalled connection delivers nothing more (a partition that drops packets).
        var stalled = false
        var dead = false
        let healing: Bool

        init(world: Simulation, id: Int, nodes: [Int], healing: Bool) {
            self.world = world
            self.id = id
            self.nodes = nodes
            self.healing = healing
            for pipe in pipes { pipe.connection = self }
        }

        func write(from side: Int, _ bytes: [UInt8]) {
            guard !dead, !bytes.isEmpty else { return }
            let node = world.nodes[nodes[side]]
            if node.crashPending || node.replica == nil { return }
            // A crash between a batch's apply and its acknowledgement: the ack never leaves.
            if !healing, bytes.count > 4, bytes[4] == 5, world.faultsOn, world.rng.chance(world.ackCrashPercent) {
                world.count("crash after apply")
                world.trace("node \(node.name) crashes after applying a batch, before its ack")
                node.crashPending = true
                return
            }
            var rest = bytes[...]
            if var budget = cutBudget {
                if rest.count >= budget {
                    let head = Array(rest.prefix(budget))
                    if !head.isEmpty { enqueue(side, .bytes(head)) }
                    enqueue(side, .cut)
                    cutBudget = nil
                    world.count("cut")
                    world.trace("connection \(id) is cut after \(budget) more bytes")
                    return
                }
                budget -= rest.count
                cutBudget = budget
            }
            // Split into pieces: the decoder sees partial frames.
            while !rest.isEmpty {
                let take = world.rng.chance(70) ? rest.count : 1 + world.rng.below(rest.count)
                enqueue(side, .bytes(Array(rest.prefix(take))))
                rest = rest.dropFirst(take)
            }
        }

        func close(from side: Int) { if !dead { enqueue(side, .fin) } }

        private func enqueue(_ side: Int, _ item: Item) {
            let at = max(lastAt[side], world.now + 1 + UInt64(world.rng.below(world.maxDelay)))
            lastAt[side] = at
            queues[side].append((at, item))
        }

        /// The earliest item due at or before `time`.
        func due(_ time: UInt64) -> (side: Int, at: UInt64)? {
            guard !dead, !stalled else { return nil }
            var best: (Int, UInt64)?
            for side in 0..<2 {
                if let first = queues[side].first, first.at <= time, best == nil || first.at < best!.1 { best = (side, first.at) }
            }
            return best
        }

        /// Delivers the first item of `side`'s queue to the other side.
        func deliver(_ side: Int) {
            let item = queues[side].removeFirst().item
            let receiver = drivers[1 - side]
            switch item {
            case .bytes(let bytes): receiver.received(bytes)
            case .fin:
                finDelivered[side] = true
                receiver.transportClosed(nil)
                if finDelivered[0] && finDelivered[1] { dead = true }
            case .cut: kill(SyncError(.connection, "connection reset (simulated cut)"))
            }
        }

        /// Both ends see the connection fail; what was in flight is lost.
        func kill(_ error: SyncError) {
            guard !dead else { return }
            dead = true
            queues = [[], []]
            for (i, driver) in drivers.enumerated() where world.nodes[nodes[i]].replica != nil && !world.nodes[nodes[i]].crashPending {
                driver.transportClosed(error)
            }
        }

        var isOver: Bool { dead || drivers.allSatisfy(\.isOver) }
    }

    public let seed: UInt64
    public let options: Options
    var rng: SplitMix64
    let sandbox: SimulationHomes
    var nodes: [Node] = []
    var connections: [Connection] = []
    var nextConnection = 1
    /// Simulated time (ms).
    var now: UInt64 = 1_000
    var faultsOn = true
    var ackCrashPercent = 0
    var maxDelay = 40
    /// Partition: the group of each node (nodes in different groups cannot reach each other).
    var groups: [Int]
    var partitionEndsAt: UInt64 = 0
    var workload = Workload()
    /// When (simulated real time) each operation a user wrote was written, by "origin:seq".
    var writtenAt: [String: UInt64] = [:]
    var result: Result
    let config: SessionConfig
    var adversaries: Adversaries?
    private var lastTick: UInt64 = 0
    private let logger: Logger = {
        var logger = Logger(label: "sinkron.simulation")
        logger.logLevel = .critical
        return logger
    }()

    public static let year: Int64 = 365 * 86_400_000

    /// The largest clock error allowed to decide a conflict: more than the clock jumps injected
    /// between two sessions, far less than the skewed PCs' years.
    static let maxClockError: Int64 = 30 * 86_400_000

    public init(seed: UInt64, options: Options = Options()) throws {
        self.seed = seed
        self.options = options
        rng = SplitMix64(seed: seed)
        sandbox = try SimulationHomes(seed: seed)
        result = Result(seed: seed)
        groups = Array(repeating: 0, count: options.nodes)
        var config = SessionConfig()
        config.handshakeTimeout = 2_000
        config.idleTimeout = 3_000
        config.maxBatchOperations = 1 + rng.below(25)
        self.config = config
        ackCrashPercent = rng.pick([0, 3, 10])

        // Roles: the admin, a desk, the numbering node, then others (a second numbering node often).
        var roles: [Role] = [.kasubbag, .mejaSatu, .umumKeuangan]
        let others: [Role] = [.umumKeuangan, .stafTI, .ketua, .sekretaris, .userSipp, .mejaSatu]
        while roles.count < options.nodes { roles.append(rng.pick(others)) }
        // Skews: one node years ahead, one years behind, the others within minutes.
        var skews = roles.indices.map { _ in Int64(rng.below(600_000)) - 300_000 }
        let ahead = rng.below(roles.count)
        let behind = (ahead + 1 + rng.below(roles.count - 1)) % roles.count
        skews[ahead] = 3 * Self.year
        skews[behind] = -2 * Self.year
        for (i, role) in roles.enumerated() {
            let name = i == 0 ? "kasubbag" : "\(role.rawValue)-\(i)"
            let clock = ManualClock(UInt64(Int64(ManualClock.start) + skews[i]))
            let replica = i == 0
                ? try sandbox.replica(name, role: role, clock: clock)
                : try sandbox.member(name, role: role, invitedBy: nodes[0].replica!, clock: clock)
            if role == .umumKeuangan { try replica.setCourtCode("W4-U2") }
            Self.packSmall(replica, index: i)
            nodes.append(Node(index: i, name: name, role: role, clock: clock, replica: replica))
            trace("node \(name) joins with its PC clock \(skews[i]) ms off simulated time, court time \(Int64(replica.courtTime) - Int64(ManualClock.start)) ms off")
        }
        if options.adversaries, let admin = nodes.first?.replica {
            adversaries = try Adversaries(homes: sandbox, admin: admin, clock: ManualClock(ManualClock.start))
        }
        // The enrollment day: everyone meets everyone once (so every node knows every member).
        try Exchange.introduce(nodes.compactMap(\.replica))
    }

    deinit { sandbox.remove() }

    func count(_ key: String) { result.stats[key, default: 0] += 1 }

    func trace(_ line: @autoclosure () -> String) {
        if options.trace { print("[\(now) ms] \(line())") }
    }

    func fail(_ message: String) {
        result.failures.append(message)
        trace("FAILURE: \(message)")
    }

    // MARK: Time

    private func advance(to time: UInt64) {
        guard time > now else { return }
        let dt = time - now
        now = time
        for node in nodes { node.clock.advance(by: dt) }
    }

    /// Moves time forward, delivering what falls due in order and ticking the drivers.
    private func run(for duration: UInt64) {
        let end = now + duration
        while true {
            var next: (Connection, Int, UInt64)?
            for c in connections {
                if let (side, at) = c.due(end), next == nil || at < next!.2 { next = (c, side, at) }
            }
            let tickAt = lastTick + 250
            if let (c, side, at) = next, at < tickAt {
                advance(to: at)
                c.deliver(side)
                settleCrashes()
            } else if tickAt <= end {
                advance(to: tickAt)
                lastTick = tickAt
                for c in connections where !c.dead {
                    for (i, d) in c.drivers.enumerated() where nodes[c.nodes[i]].replica != nil { d.tick() }
                }
                settleCrashes()
            } else {
                break
            }
            connections.removeAll { $0.isOver }
        }
        advance(to: end)
    }

    // MARK: Faults

    private func settleCrashes() {
        for node in nodes where node.crashPending { crash(node) }
    }

    /// Drops the replica object (nothing is flushed that was not committed) and every connection
    /// of the node; the peers see a reset, or nothing at all until their idle timeout.
    private func crash(_ node: Node) {
        node.crashPending = false
        node.replica = nil
        node.restartAt = now + 200 + UInt64(rng.below(3_000))
        for c in connections where !c.dead && c.nodes.contains(node.index) {
            let side = c.nodes[0] == node.index ? 0 : 1
            if rng.chance(50) {
                c.kill(SyncError(.connection, "connection reset (peer crashed)"))
            } else {
                // The peer's packets go nowhere: it finds out at its idle timeout.
                count("peer vanished")
                c.queues = [[], []]
                c.stalled = true
                c.dead = true
                stalledDrivers.append((c.drivers[1 - side], nodes[c.nodes[1 - side]]))
            }
        }
        trace("node \(node.name) crashed")
    }

    /// Odd nodes pack their log by 2–5 operations instead of 64, so that a simulation's short
    /// logs are packed, repacked from their tails and cut by revocations inside runs; every
    /// third node hands segments of 2 operations or more to the merge from the drain's second
    /// thread. The logs and tables must still agree with the other nodes'.
    private static func packSmall(_ replica: Replica, index: Int) {
        replica.mergeLimits = .small(logRun: index % 2 == 1 ? 2 + index % 4 : nil, threadedDrain: index % 3 == 0 ? 2 : nil)
    }

    /// Sessions whose peer vanished: they tick until their timeout ends them.
    var stalledDrivers: [(SessionDriver, Node)] = []

    private func restart(_ node: Node) {
        do {
            node.replica = try sandbox.reopen(node.name, clock: node.clock)
            if let replica = node.replica { Self.packSmall(replica, index: node.index) }
            trace("node \(node.name) restarted")
        } catch {
            fail("node \(node.name) could not reopen its database after a crash: \(error)")
        }
    }

    private func reachable(_ a: Int, _ b: Int) -> Bool { groups[a] == groups[b] }

    private func partition() {
        groups = nodes.map { _ in rng.below(2) }
        partitionEndsAt = now + 500 + UInt64(rng.below(6_000))
        count("partition")
        trace("partition \(groups) until \(partitionEndsAt)")
        for c in connections where !c.dead && !reachable(c.nodes[0], c.nodes[1]) {
            if rng.chance(50) {
                c.kill(SyncError(.connection, "connection reset (partition)"))
            } else {
                count("stall")
                c.stalled = true
            }
        }
    }

    // MARK: Sessions

    @discardableResult
    private func connect(_ a: Int, _ b: Int, healing: Bool = false) -> Connection? {
        guard let ra = nodes[a].replica, let rb = nodes[b].replica else { return nil }
        let c = Connection(world: self, id: nextConnection, nodes: [a, b], healing: healing)
        nextConnection += 1
        let clock = SimClock(world: self)
        var config = self.config
        if !healing {
            config.maxBatchOperations = 1 + rng.below(config.maxBatchOperations)
            // Short runs: an origin's operations then go as several runs within one batch.
            config.maxRunOperations = 1 + rng.below(12)
        }
        let challenge = { (0..<32).map { _ in UInt8(truncatingIfNeeded: self.rng.next()) } }
        c.drivers = [
            SessionDriver(store: ra, direction: .outbound, address: "sim:\(nodes[b].name)", config: config, clock: clock, logger: logger, keySeed: challenge()),
            SessionDriver(store: rb, direction: .inbound, address: "sim:\(nodes[a].name)", config: config, clock: clock, logger: logger, keySeed: challenge()),
        ]
        for (i, driver) in c.drivers.enumerated() {
            driver.transport = c.pipes[i]
            let node = nodes[c.nodes[i]]
            driver.onEnd = { [unowned self, unowned node] summary in self.ended(summary, healing: healing, node: node) }
        }
        if !healing, faultsOn, rng.chance(25) { c.cutBudget = rng.below(4_000) }
        connections.append(c)
        count("session")
        trace("connection \(c.id): \(nodes[a].name) → \(nodes[b].name)\(c.cutBudget.map { " (cut after \($0) bytes)" } ?? "")")
        c.drivers[1].start()
        c.drivers[0].start()
        return c
    }

    /// Failures a faulty network explains; anything else is a bug.
    static let networkCodes: Set<String> = [SyncError.Code.connection.rawValue, SyncError.Code.timeout.rawValue]

    private func ended(_ summary: SessionSummary, healing: Bool, node: Node) {
        if summary.ok {
            count("session ok")
            return
        }
        count("session failed")
        let code = summary.errorCode ?? "?"
        let explained = Self.networkCodes.contains(code)
            || code == SyncError.Code.peer.rawValue && Self.networkCodes.contains { summary.error?.contains("[\($0)]") == true }
        if healing || !explained {
            fail("session at \(node.name) with \(summary.peerName ?? summary.address) failed\(healing ? " after the network healed" : ""): [\(code)] \(summary.error ?? "")")
        }
        trace("session at \(node.name) failed: [\(code)] \(summary.error ?? "")")
    }

    // MARK: User activity

    private func userAction(_ node: Node) {
        guard let replica = node.replica else { return }
        do {
            let origin = replica.origin
            let before = try replica.vector()
            var label: String
            do {
                label = try workload.act(replica, role: node.role, now: node.clock.now(), &rng)
            } catch let error as ReplicaError where Workload.expectedRefusals.contains(error.code) {
                label = "refused"
                if try replica.vector() != before { fail("a refused action at \(node.name) wrote operations: \(error)") }
            }
            count(label)
            count("action")
            let after = try replica.vector()[origin]
            if after > before[origin] {
                // Committed: the user was told it is saved.
                node.acknowledged[origin] = after
                for seq in (before[origin] + 1)...after { writtenAt["\(origin.hex):\(seq)"] = now }
                result.stats["operations written", default: 0] += Int(after - before[origin])
            }
            trace("\(node.name): \(label)")
        } catch {
            fail("action at \(node.name) failed unexpectedly: \(error)")
        }
    }

    // MARK: The run

    public func run() -> Result {
        var actions = 0
        var steps = 0
        while actions < options.actions {
            steps += 1
            if steps > options.actions * 400 {
                fail("the workload did not finish (\(actions) actions in \(steps) steps)")
                break
            }
            run(for: UInt64(1 + rng.below(150)))
            if partitionEndsAt > 0, now >= partitionEndsAt {
                partitionEndsAt = 0
                groups = groups.map { _ in 0 }
                trace("partition healed")
                for c in connections where c.stalled && !c.dead { c.stalled = false }
            }
            for node in nodes where node.replica == nil && now >= node.restartAt { restart(node) }
            for (driver, node) in stalledDrivers where !driver.isOver && node.replica != nil { driver.tick() }
            stalledDrivers.removeAll { $0.0.isOver || $0.1.replica == nil }
            let live = nodes.filter { $0.replica != nil }
            switch rng.below(100) {
            case 0..<40:
                // The numbering desks are busy: a quarter of the activity is theirs.
                let numbering = live.filter { $0.role == .umumKeuangan }
                if let node = live.isEmpty ? nil : (!numbering.isEmpty && rng.chance(25) ? rng.pick(numbering) : rng.pick(live)) {
                    userAction(node)
                    actions += 1
                }
            case 40..<58:
                guard live.count >= 2 else { break }
                let a = rng.pick(live)
                let b = rng.pick(live.filter { $0 !== a })
                guard reachable(a.index, b.index) else { break }
                connect(a.index, b.index)
            case 58..<60:
                guard live.count > 1 else { break }
                let node = rng.pick(live)
                count("crash")
                crash(node)
            case 60..<61:
                if partitionEndsAt == 0 { partition() }
            case 61..<62:
                let node = rng.pick(nodes)
                let jump = rng.chance(50) ? Int64(rng.below(86_400_000)) : -Int64(rng.below(3_600_000))
                if jump >= 0 { node.clock.advance(by: UInt64(jump)) } else { node.clock.rewind(by: UInt64(-jump)) }
                count("clock jump")
                trace("clock of \(node.name) jumps \(jump) ms")
            case 63..<65:
                adversaryMove()
            case 62..<63:
                // A clean reopen, as the next CLI command does.
                if let node = live.isEmpty ? nil : rng.pick(live), connections.allSatisfy({ !$0.nodes.contains(node.index) }) {
                    node.replica = nil
                    restart(node)
                    count("reopen")
                }
            default: break
            }
        }
        heal()
        check()
        checkAdversaries()
        return result
    }

    /// Faults stop: partitions heal, crashed nodes restart, sessions in flight end; then every pair
    /// syncs until all vectors are equal.
    private func heal() {
        faultsOn = false
        groups = groups.map { _ in 0 }
        partitionEndsAt = 0
        for c in connections { c.stalled = false; c.cutBudget = nil }
        for node in nodes where node.replica == nil { restart(node) }
        var waited: UInt64 = 0
        while !(connections.isEmpty && stalledDrivers.isEmpty) && waited < 60_000 {
            run(for: 250)
            for (driver, node) in stalledDrivers where !driver.isOver && node.replica != nil { driver.tick() }
            stalledDrivers.removeAll { $0.0.isOver }
            waited += 250
        }
        if !connections.isEmpty { fail("sessions still open 60 s after faults stopped") }
        connections.removeAll()
        trace("healing")
        for round in 1...4 {
            for a in nodes.indices {
                for b in nodes.indices where a < b {
                    let pair = rng.chance(50) ? (a, b) : (b, a)
                    guard let c = connect(pair.0, pair.1, healing: true) else { continue }
                    var waited: UInt64 = 0
                    while !c.isOver && waited < 60_000 {
                        run(for: 100)
                        waited += 100
                    }
                    if !c.isOver { fail("a session \(nodes[pair.0].name) → \(nodes[pair.1].name) did not finish after the network healed") }
                    for d in c.drivers where d.isOver && d.summary.ok && !d.summary.inSync {
                        fail("session \(nodes[pair.0].name) → \(nodes[pair.1].name) finished but is not in sync")
                    }
                    connections.removeAll()
                }
            }
            let vectors = nodes.map { try? $0.replica?.vector() }
            if vectors.allSatisfy({ $0 != nil && $0 == vectors[0] }) {
                result.stats["heal rounds"] = round
                return
            }
        }
        fail("vectors still differ after 4 rounds of sessions")
    }

    // MARK: Checks

    private func check() {
        let replicas = nodes.compactMap(\.replica)
        guard replicas.count == nodes.count else { return fail("a node is down at the end") }
        do {
            let digests = try replicas.map { try $0.digest() }
            if Set(digests).count != 1 {
                fail("digests differ: \(zip(nodes, digests).map { "\($0.name)=\($1.prefix(12))" })")
            }
            let reference = try replicas[0].dumpTables()
            for (node, replica) in zip(nodes, replicas).dropFirst() {
                let differences = Replica.differences(reference, try replica.dumpTables())
                if !differences.isEmpty { fail("\(node.name) differs from \(nodes[0].name): \(differences)") }
            }
            let conflicts = try replicas[0].conflicts()
            let collisions = try replicas[0].numberCollisions()
            for (node, replica) in zip(nodes, replicas) {
                let vector = try replica.vector()
                // Every operation a user was told is saved is everywhere.
                for other in nodes {
                    for (origin, seq) in other.acknowledged where vector[origin] < seq {
                        fail("\(node.name) lacks \(origin.short)#\(seq), acknowledged at \(other.name) (holds \(vector[origin]))")
                    }
                }
                // No operation twice, none missing: the log holds exactly the vector's operations.
                let census = try replica.logCensus()
                let expected = vector.entries.values.reduce(0) { $0 + $1 }
                if census.held != expected { fail("\(node.name) holds \(census.held) operations; its vector says \(expected)") }
                if census.twice != 0 { fail("\(node.name) holds \(census.twice) operations twice") }
                let report = try replica.verify()
                if !report.ok { fail("\(node.name) does not verify: \(report.problems)") }
                if try replica.conflicts() != conflicts { fail("\(node.name) records other conflicts than \(nodes[0].name)") }
                if try replica.numberCollisions() != collisions { fail("\(node.name) records other number collisions than \(nodes[0].name)") }
                if try replica.alerts().contains(where: { $0.kind == "fork" || $0.kind == "duplicate-record" }) {
                    let alerts = try replica.alerts().filter { $0.kind == "fork" || $0.kind == "duplicate-record" }.map(\.detail)
                    fail("\(node.name) raised a fork or duplicate-record alert: \(alerts.joined(separator: "; "))")
                }
                // No letter number shown twice without a recorded collision.
                let shared = try replica.rows("SELECT number, count(*) FROM letters WHERE number IS NOT NULL GROUP BY number HAVING count(*) > 1")
                for row in shared where !collisions.contains(where: { $0.number == row[0] && $0.letters.count == Int(row[1]) }) {
                    fail("\(node.name): number \(row[0]) is used by \(row[1]) letters with no recorded collision")
                }
            }
            // No conflict may be decided by a skewed clock: every node stamps court time (the
            // admin's clock, learned from the invitation and in sessions), so the years-ahead and
            // years-behind PCs win or lose like the others. What remains are the clock jumps the
            // simulation injects (up to a day forward at a time) between two sessions of a node:
            // counted, and failed only past `maxClockError`.
            for conflict in conflicts {
                guard let won = writtenAt[conflict.winner], let lost = writtenAt[conflict.loser], won < lost else { continue }
                let stamps = Int64((conflict.winnerAt.timeIntervalSince1970 - conflict.loserAt.timeIntervalSince1970) * 1000)
                let error = stamps + Int64(lost - won)
                count("conflicts won by the earlier write")
                result.stats["largest clock error deciding a conflict (s)"] = max(result.stats["largest clock error deciding a conflict (s)"] ?? 0, Int(error / 1000))
                if error > Self.maxClockError {
                    fail("conflict on \(conflict.record.prefix(8)).\(conflict.field): \(conflict.winnerNode) won with a write made \(lost - won) ms before \(conflict.loserNode)'s, its stamp \(stamps) ms later: a clock \(error / 86_400_000) days off decided it")
                }
            }
            result.operations = Int(try replicas[0].counts().operations)
            if options.keepLogs {
                for node in nodes {
                    guard let replica = node.replica else { continue }
                    result.logs[node.name] = try replica.logDump()
                }
            }
            result.stats["conflicts"] = conflicts.count
            result.stats["number collisions"] = collisions.count
        } catch {
            fail("checking the replicas failed: \(error)")
        }
    }
}

/// Simulated monotonic time for the drivers.
final class SimClock: SyncClock, @unchecked Sendable {
    unowned let world: Simulation
    init(world: Simulation) { self.world = world }
    func milliseconds() -> UInt64 { world.now }
}

extension Simulation {
    /// The command that replays `seed`.
    public static func replayCommand(seed: UInt64) -> String {
        "SINKRON_SIM_SEED=\(seed) SINKRON_SIM_TRACE=1 swift test --filter SimulationTests.SimulationTests"
    }
}

/// Replica homes of one simulation, in memory (`/dev/shm`) when the machine has it: the
/// simulation never tests durability against power loss, and fsync would dominate its time.
/// `SINKRON_SIM_DIR` chooses another parent folder.
final class SimulationHomes {
    let root: String
    /// Every id, key and code of the run, drawn from the seed: a seed replays byte for byte.
    let entropy: SeededEntropy

    init(seed: UInt64) throws {
        // Its own stream, apart from the simulator's choices (`SplitMix64(seed:)`). Not `seed ^ γ`
        // with SplitMix's own increment γ: for a seed with no bit in common with γ that is
        // `seed + γ`, the simulator's stream one draw on, and an id the workload drew came out of
        // the replica's entropy again (seed 162: one node created a letter and a bug report under one id).
        var mix = SplitMix64(seed: ~seed)
        entropy = SeededEntropy(seed: mix.next() ^ 0xD1B5_4A32_D192_ED03)
        let environment = ProcessInfo.processInfo.environment
        var parent = environment["SINKRON_SIM_DIR"] ?? NSTemporaryDirectory()
        if environment["SINKRON_SIM_DIR"] == nil, access("/dev/shm", W_OK) == 0 { parent = "/dev/shm" }
        var template = Array((parent as NSString).appendingPathComponent("sinkron-sim-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else { throw ReplicaError(.storage, "cannot create a folder in \(parent) (errno \(errno))") }
        root = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { remove() }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    func home(_ name: String) -> String { (root as NSString).appendingPathComponent("home-\(name)") }

    func replica(_ name: String, role: Role, clock: any PhysicalClock) throws -> Replica {
        let replica = try Replica.initialize(home: home(name), court: Sandbox.court, name: name, role: role, physicalClock: clock, entropy: entropy)
        try replica.disableSync()
        return replica
    }

    func member(_ name: String, role: Role, invitedBy admin: Replica, clock: any PhysicalClock) throws -> Replica {
        let invitation = (root as NSString).appendingPathComponent("\(name).invitation")
        let receipt = try admin.invite(name: name, role: role, to: invitation, strength: .testing)
        defer { try? FileManager.default.removeItem(atPath: invitation) }
        let replica = try Replica.initialize(home: home(name), invitation: invitation, code: receipt.code, physicalClock: clock, entropy: entropy)
        try replica.disableSync()
        return replica
    }

    func reopen(_ name: String, clock: any PhysicalClock) throws -> Replica {
        let replica = try Replica(home: home(name), physicalClock: clock, entropy: entropy)
        try replica.disableSync()
        return replica
    }
}
