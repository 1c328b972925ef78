/// Who gets a connection slot on a daemon. Connections that have not finished the handshake
/// ("pending": anyone on the LAN can open them) have a small budget of their own, in total and per
/// source address; sessions of authenticated members have their own, larger one, so that
/// strangers holding sockets open cannot lock members out. Pure: the daemon tells it what happens.
public struct Admission: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Pending connections in all. When full, a newcomer from an address holding fewer
        /// pending connections than the busiest address takes the oldest slot of that address.
        public var pending = 16
        /// Pending connections from one source address.
        public var pendingPerAddress = 4
        /// Authenticated sessions, inbound and outbound (a court has at most about 30 nodes).
        public var sessions = 32
        /// What a refused peer is told to wait (s).
        public var retryAfterSeconds = 5

        public init() {}
    }

    public typealias ConnectionID = UInt64

    public enum Verdict: Sendable, Equatable {
        case admit
        /// Admit it, and close `evicted` (a pending connection of the busiest address) as busy.
        case admitEvicting(ConnectionID)
        /// Refuse it: answer busy and close.
        case refuse(SyncError)
    }

    public let limits: Limits
    /// Pending connections in arrival order, with their source address.
    private var pending: [(id: ConnectionID, address: String)] = []
    private var pendingByAddress: [String: Int] = [:]
    public private(set) var sessions = 0

    public init(limits: Limits = Limits()) { self.limits = limits }

    public var pendingCount: Int { pending.count }

    public func pending(from address: String) -> Int { pendingByAddress[address] ?? 0 }

    /// An inbound connection from `address` was accepted by the kernel.
    public mutating func arrive(_ id: ConnectionID, from address: String) -> Verdict {
        let mine = pending(from: address)
        if mine >= limits.pendingPerAddress {
            return .refuse(busy("\(mine) connections from \(address) are still in their handshake"))
        }
        var verdict = Verdict.admit
        if pending.count >= limits.pending {
            // The busiest address gives up its oldest slot, if it holds more than this one does.
            guard let (busiest, count) = pendingByAddress.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }),
                count > mine, let oldest = pending.first(where: { $0.address == busiest })
            else {
                return .refuse(busy("\(pending.count) connections are still in their handshake"))
            }
            remove(oldest.id)
            verdict = .admitEvicting(oldest.id)
        }
        pending.append((id, address))
        pendingByAddress[address, default: 0] += 1
        return verdict
    }

    /// A pending connection finished its handshake as a member: it becomes a session, or is
    /// refused (busy) when every session slot is taken.
    public mutating func authenticated(_ id: ConnectionID) -> SyncError? {
        remove(id)
        guard sessions < limits.sessions else { return busy("\(sessions) sessions are running") }
        sessions += 1
        return nil
    }

    /// Reserves a session slot for a connection this daemon dials (false: all taken).
    public mutating func dial() -> Bool {
        guard sessions < limits.sessions else { return false }
        sessions += 1
        return true
    }

    /// A connection ended: `wasSession` when it held a session slot.
    public mutating func left(_ id: ConnectionID?, wasSession: Bool) {
        if let id { remove(id) }
        if wasSession { sessions = max(0, sessions - 1) }
    }

    private mutating func remove(_ id: ConnectionID) {
        guard let index = pending.firstIndex(where: { $0.id == id }) else { return }
        let address = pending.remove(at: index).address
        let left = (pendingByAddress[address] ?? 1) - 1
        pendingByAddress[address] = left > 0 ? left : nil
    }

    package func busy(_ why: String) -> SyncError {
        SyncError.busy(why, retryAfter: limits.retryAfterSeconds)
    }
}

extension SyncError {
    /// The delay a busy answer asked for ("… retry in N s"), read back from its message.
    public static func retryAfter(_ message: String) -> Int? {
        guard let range = message.range(of: "retry in ", options: .backwards) else { return nil }
        return Int(message[range.upperBound...].prefix { $0.isNumber })
    }

    /// The busy answer: why, and when to come back. Its message ends with "retry in N s", which
    /// is also how a peer reads the delay back.
    public static func busy(_ why: String, retryAfter seconds: Int) -> SyncError {
        SyncError(.busy, "busy: \(why); retry in \(seconds) s", hint: "the node is serving others or is being flooded; sinkron retries by itself, or run the sync again in \(seconds) s")
    }
}
