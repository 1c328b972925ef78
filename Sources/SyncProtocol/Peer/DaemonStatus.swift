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
