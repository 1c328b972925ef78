import Foundation

/// Sessions in which nothing was exchanged. A daemon syncs each peer every 30 s even when nothing
/// changed, so a row for each would grow the replica by some 10 MB a year per peer for no
/// history: the latest idle row of the same kind and peer absorbs the next idle session instead.
extension Replica {
    /// Records an ok session that exchanged no operation: extends the latest row of this kind and
    /// peer when that row records idle sessions (its end, address, bytes, and the count in
    /// `detail.idleSessions` move on), else writes a new one. Returns the row's id.
    public func recordIdleSession<Detail: Encodable>(
        kind: String, peer: String, address: String?, startedAt: UInt64, bytesIn: Int, bytesOut: Int, detail: Detail
    ) throws -> Int64 {
        let json = String(decoding: try JSONEncoder.sorted.encode(detail), as: UTF8.self)
        return try storage {
            try db.transaction {
                let now = Int64(clock.now())
                let latest = try db.cached(
                    "SELECT id, json_extract(detail, '$.idleSessions') FROM sessions WHERE kind = ? AND peer = ? ORDER BY id DESC LIMIT 1"
                ).bind(.text(kind), .text(peer)).first { ($0.int(0), $0.optionalInt(1)) }
                if let (id, count) = latest, let count {
                    try db.cached(
                        "UPDATE sessions SET ended_at = ?, address = ?, bytes_in = bytes_in + ?, bytes_out = bytes_out + ?, outcome = ?, detail = json_set(?, '$.idleSessions', ?) WHERE id = ?"
                    ).bind(
                        .int(now), .optional(address), .int(Int64(bytesIn)), .int(Int64(bytesOut)), .text("ok: \(count + 1) idle sessions"), .text(json),
                        .int(count + 1), .int(id)
                    ).run()
                    return id
                }
                try db.cached(
                    "INSERT INTO sessions(kind, peer, address, started_at, ended_at, bytes_in, bytes_out, outcome, detail) VALUES (?,?,?,?,?,?,?,'ok',json_set(?, '$.idleSessions', 1))"
                ).bind(.text(kind), .text(peer), .optional(address), .int(Int64(startedAt)), .int(now), .int(Int64(bytesIn)), .int(Int64(bytesOut)), .text(json)).run()
                return db.lastInsertRowID
            }
        }
    }
}
