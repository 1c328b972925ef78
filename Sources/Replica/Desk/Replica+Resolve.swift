import Foundation

/// What `resolveConflict` wrote.
public struct Resolution: Sendable, Codable, Equatable {
    public var record: String
    public var field: String
    public var value: String
    /// The concurrent writes the new write replaces (the kept one among them).
    public var replaces: [String]
}

extension Replica {
    /// Ends a conflict on a field by keeping one of its concurrent writes: writes that write's
    /// value again as a new operation that names every current head of the field (both sides of
    /// the conflict) as replaced. Nothing is deleted: both writes stay in the history, and the
    /// conflict stays recorded as it was found.
    @discardableResult
    public func resolveConflict(_ prefix: String, field name: String, keep: String, author: String = "") throws -> Resolution {
        let (record, kind) = try resolve(prefix)
        guard let field = Field(name: name), kind.fields.contains(field) else {
            throw ReplicaError(.invalidInput, "a \(kind.rawValue) record has no field \"\(name)\"")
        }
        guard let kept = Self.parseOp(keep) else {
            throw ReplicaError(.invalidInput, "\"\(keep)\" is not an operation id", hint: "write ORIGIN:SEQ as the conflicts list shows it")
        }
        let conflict = try conflicts().first {
            $0.record == record.hex && $0.field == field.name && ($0.winner == keep || $0.loser == keep)
        }
        guard let conflict else {
            throw ReplicaError(.notFound, "no conflict on \(field.name) of record \(record.short) involves \(keep)", hint: "the conflicts list shows each pair of writes")
        }
        if kind.writer(of: field).map({ $0 != identity.role }) ?? false {
            throw ReplicaError(.notPermitted, "\(field.name) is written by \(kind.writer(of: field)!.rawValue) only; this node is \(identity.role.rawValue)")
        }
        let value = conflict.winner == keep ? conflict.winnerValue : conflict.loserValue
        var heads = Set(try currentHeads(record, field: field))
        heads.insert(kept)
        for other in [conflict.winner, conflict.loser] { if let op = Self.parseOp(other) { heads.insert(op) } }
        let replaces = heads.sorted()
        try commit(author: author, [.set(record: record, field: field, value: value, replaces: replaces)])
        return Resolution(record: record.hex, field: field.name, value: value, replaces: replaces.map { "\($0.origin.hex):\($0.seq)" })
    }

    /// Whether a later write replaced both sides of a recorded conflict (someone resolved it, or
    /// simply edited the field again after seeing both).
    public func isSettled(_ conflict: ConflictEntry) throws -> Bool {
        guard let id = ID128(hex: conflict.record), let field = Field(name: conflict.field),
            let winner = Self.parseOp(conflict.winner), let loser = Self.parseOp(conflict.loser)
        else { return false }
        let heads = try currentHeads(id, field: field)
        return heads.count == 1 && heads[0] != winner && heads[0] != loser
    }
}
