import Foundation
import Replica

/// What one sync session did, for the CLI, the daemon's log and the merge-session row.
public struct SessionSummary: Sendable, Codable, Equatable {
    public enum Direction: String, Sendable, Codable { case inbound = "in", outbound = "out" }

    /// The merge-session row (`sinkron merges`), when one could be written.
    public var session: Int64?
    public var direction: Direction
    public var address: String
    public var peerName: String?
    public var peerNode: String?
    /// The port the peer's daemon listens on, when it said so in its hello.
    public var peerListenPort: Int?
    public var ok = false
    /// Both sides hold the same operations, as far as this side can tell at the end.
    public var inSync = false
    public var received = 0
    public var sent = 0
    /// Operations newly applied here, per origin (hex).
    public var receivedByOrigin: [String: Int] = [:]
    /// Operations sent to the peer, per origin (hex).
    public var sentByOrigin: [String: Int] = [:]
    /// Received operations this replica already held.
    public var duplicates = 0
    public var conflicts = 0
    public var forks: [String] = []
    public var bytesIn = 0
    public var bytesOut = 0
    public var durationMs: UInt64 = 0
    /// How far this node's court time moved after the peer's hello (nil: not taken from this peer).
    public var clockCorrectionMs: Int64?
    /// In a merge-session row that records idle sessions (nothing exchanged): how many.
    public var idleSessions: Int?
    public var errorCode: String?
    public var error: String?
    public var hint: String?

    public init(direction: Direction, address: String) {
        self.direction = direction
        self.address = address
    }

    /// One line for logs and the terminal.
    public var line: String {
        let peer = peerName.map { "\($0) (\(address))" } ?? address
        let seconds = Double(durationMs) / 1000
        var text = ok ? "synced with \(peer)" : "sync with \(peer) failed"
        text += ": received \(received), sent \(sent), \(conflicts) conflicts, \(bytesIn) B in, \(bytesOut) B out, \(String(format: "%.2f", seconds)) s"
        if let correction = clockCorrectionMs, correction.magnitude >= 1_000 {
            text += "; court time moved \(correction < 0 ? "back" : "forward") \(Replica.describe(milliseconds: correction.magnitude)) (from \(peerName ?? "the peer"))"
        }
        if let error { text += " — \(error)" }
        return text
    }
}

/// A sync in progress, for a terminal's progress line.
public struct SyncProgress: Sendable {
    public var received: Int
    public var sent: Int
    /// Operations the peer holds that this side lacked when the vectors were exchanged.
    public var expectedToReceive: Int
    /// Operations this side holds that the peer lacked when the vectors were exchanged.
    public var expectedToSend: Int
    public var bytesIn: Int
    public var bytesOut: Int
    public var elapsedMs: UInt64
}
