import Foundation

/// A peer address the daemon dials, as `sinkron peers` shows it.
public struct PeerEntry: Sendable, Codable, Equatable {
    public var address: String
    public var addedAt: Date
    public var lastOK: Date?
    public var lastError: String?
}

extension Schema {
    /// Local (not replicated) list of peers to dial. `IF NOT EXISTS`: replicas made before the
    /// table existed get it on first use.
    static let peersTable = """
        CREATE TABLE IF NOT EXISTS peers (
            address TEXT PRIMARY KEY,
            added_at INTEGER NOT NULL,
            last_ok INTEGER,
            last_error TEXT
        ) WITHOUT ROWID;
        """
}

/// The peers this node dials (`sinkron peers`, `sinkron serve`). Local state: never replicated,
/// not part of the digest.
extension Replica {
    public func peers() throws -> [PeerEntry] {
        try storage {
            return try db.prepare("SELECT address, added_at, last_ok, last_error FROM peers ORDER BY address").map { r in
                PeerEntry(address: r.text(0), addedAt: date(ms: r.int(1)), lastOK: r.optionalInt(2).map { date(ms: $0) }, lastError: r.optionalText(3))
            }
        }
    }

    /// Adds a peer; false when it was already listed.
    @discardableResult
    public func addPeer(_ address: String) throws -> Bool {
        try storage {
            return try db.transaction {
                try db.cached("INSERT OR IGNORE INTO peers(address, added_at) VALUES (?, ?)").bind(.text(address), .int(Int64(clock.now()))).run()
                return db.changes > 0
            }
        }
    }

    /// Removes a peer; false when it was not listed.
    @discardableResult
    public func removePeer(_ address: String) throws -> Bool {
        try storage {
            return try db.transaction {
                try db.cached("DELETE FROM peers WHERE address = ?").bind(.text(address)).run()
                return db.changes > 0
            }
        }
    }

    /// Notes the outcome of a session with a listed peer (nothing happens for unlisted addresses).
    public func recordPeerResult(_ address: String, error: String?) throws {
        try storage {
            try db.transaction {
                if let error {
                    try db.cached("UPDATE peers SET last_error = ? WHERE address = ?").bind(.text(error), .text(address)).run()
                } else {
                    try db.cached("UPDATE peers SET last_ok = ?, last_error = NULL WHERE address = ?").bind(.int(Int64(clock.now())), .text(address)).run()
                }
            }
        }
    }
}
