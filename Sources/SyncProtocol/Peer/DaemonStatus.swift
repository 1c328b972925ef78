import Foundation

/// What a running `sinkron serve` says about itself, in `serve.json` in its home: rewritten every
/// few seconds, removed when it stops. `sinkron status` reads it; a file whose process is gone or
/// that was not rewritten for a while means no daemon runs.
public struct DaemonStatus: Sendable, Codable, Equatable {
    public struct Peer: Sendable, Codable, Equatable {
        public var address: String
        /// static (`--peer`, `peers add`) or learned (it dialed us and said where it listens).
        public var source: String
        /// The last attempt, good or not.
        public var lastSync: Date?
        public var failing: Bool
        /// The last good session, and what each side lacked at its start: operations this node
        /// sent the peer (it was behind) and operations the peer sent (this node was behind).
        public var lastContact: Date?
        public var behind: Int?
        public var ahead: Int?
        /// Live lag: operations this node holds now that the peer did not hold when the last good
        /// session ended (written here or brought by other peers since), and since when the peer
        /// has been behind (the last contact), nil when it is up to date.
        public var pendingOps: Int?
        public var pendingSince: Date?
    }

    public var pid: Int32
    public var listen: String
    public var startedAt: Date
    public var updatedAt: Date
    public var sessions: Int
    /// Connections still in their handshake.
    public var pending: Int
    /// Refused or unauthenticated connections since the start, by code.
    public var refused: [String: Int]
    public var peers: [Peer]

    public static let fileName = "serve.json"
    /// A status older than this is stale (the daemon rewrites it every `writeInterval`).
    public static let staleAfter: TimeInterval = 30
    static let writeInterval: UInt64 = 5_000

    public static func path(home: String) -> String { (home as NSString).appendingPathComponent(fileName) }

    func write(home: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(self) else { return }
        try? data.write(to: URL(fileURLWithPath: Self.path(home: home)), options: .atomic)
    }

    static func remove(home: String) { try? FileManager.default.removeItem(atPath: path(home: home)) }

    /// The status of the daemon running on `home`, or nil when none runs there.
    public static func read(home: String, now: Date = Date()) -> DaemonStatus? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let data = FileManager.default.contents(atPath: path(home: home)), let status = try? decoder.decode(DaemonStatus.self, from: data) else { return nil }
        guard kill(status.pid, 0) == 0 || errno == EPERM, now.timeIntervalSince(status.updatedAt) < staleAfter else { return nil }
        return status
    }
}

extension DaemonStatus.Peer {
    /// How far behind the peer is, for a table: "up to date", "12 ops, 5 min" (operations it
    /// lacks and for how long), or what each side lacked at the last session when that is all
    /// that is known.
    public func lag(now: Date = Date()) -> String {
        if let pending = pendingOps {
            guard pending > 0 else { return "up to date" }
            let minutes = pendingSince.map { max(0, Int(now.timeIntervalSince($0) / 60)) }
            return "\(pending) ops" + (minutes.map { $0 < 1 ? ", <1 min" : $0 < 120 ? ", \($0) min" : ", \($0 / 60) h" } ?? "")
        }
        guard let behind else { return "" }
        return "it lacked \(behind), we \(ahead ?? 0)"
    }
}
