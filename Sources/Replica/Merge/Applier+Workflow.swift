import Crypto

extension Applier {
    /// Refolds one record's workflow from all its step events and stores the result.
    func foldWorkflow(_ rid: Int64) throws {
        guard
            let ref = try db.cached("SELECT id, kind FROM records WHERE rid = ?").bind(.int(rid)).first({ row in
                (hex: row.text(0), kind: row.optionalText(1).flatMap(RecordKind.init(rawValue:)))
            }), let kind = ref.kind
        else { return }
        guard
            let row = try db.cached("SELECT sop, created_at, archived, status FROM \(kind.table) WHERE id = ?").bind(.text(ref.hex)).first({ row in
                (sop: row.text(0), created: row.int(1), archived: row.int(2) != 0)
            })
        else { return }
        let (events, stored) = try db.stepEvents(record: ref.hex)
        guard let sop = db.flow(row.sop) else {
            // The flow's definition has not reached this replica: the record waits at no step.
            try db.cached("UPDATE \(kind.table) SET step = NULL, status = ? WHERE id = ?").bind(.text(row.archived ? "archived" : "waiting"), .text(ref.hex)).run()
            return
        }
        // The create's clock: its milliseconds are stored; the fold needs the full reading only to order events.
        let created = try db.cached("SELECT o.hlc FROM records r JOIN ops o ON o.origin_idx = r.create_origin AND o.seq = r.create_seq WHERE r.rid = ?")
            .bind(.int(rid)).first { HLC(raw: UInt64($0.int(0))) } ?? HLC(milliseconds: UInt64(row.created), counter: 0)
        let state = WorkflowFold.fold(sop: sop, created: created, events: events, letter: try letterProgress(parent: ref.hex, sop: sop))
        let update = try db.cached("UPDATE steps SET status = ? WHERE record = ? AND origin = ? AND seq = ?")
        for (op, status) in state.statuses where stored[op] != status.rawValue {
            try update.bind(.text(status.rawValue), .text(ref.hex), .text(op.origin.hex), .int(Int64(op.seq))).run()
        }
        let status = row.archived ? "archived" : state.current == nil ? "done" : "open"
        try db.cached("UPDATE \(kind.table) SET step = ?, step_since = ?, status = ? WHERE id = ?")
            .bind(state.current.map { SQLValue.int(Int64($0)) } ?? .null, .int(Int64(state.since.milliseconds)), .text(status), .text(ref.hex)).run()
        if kind == .letter, let parent = try letterParent(ref.hex) { try foldWorkflow(parent) }
    }

    /// The progress of a parent's letter record, when its flow has a letter and the letter exists.
    func letterProgress(parent hex: String, sop: SOP) throws -> LetterProgress? {
        guard sop.letter != nil, let id = RecordID(hex: hex) else { return nil }
        return try db.cached("SELECT status, step, step_since FROM letters WHERE id = ?").bind(.text(Replica.letterID(for: id).hex)).first { r in
            let ended = r.optionalInt(1) == nil && r.text(0) != "waiting"
            return LetterProgress(ended: ended ? HLC(milliseconds: UInt64(r.optionalInt(2) ?? 0), counter: 0) : nil)
        }
    }

    /// The local number of the record whose letter `hex` is (its `for_record`, if the letter's id
    /// is the one derived from it).
    func letterParent(_ hex: String) throws -> Int64? {
        guard let parent = try db.cached("SELECT for_record FROM letters WHERE id = ?").bind(.text(hex)).first({ $0.optionalText(0) }) ?? nil,
            let parentID = RecordID(hex: parent), Replica.letterID(for: parentID).hex == hex
        else { return nil }
        return try db.cached("SELECT rid FROM records WHERE id = ? AND kind IS NOT NULL").bind(.text(parent)).first { $0.int(0) }
    }
}

extension Replica {
    /// The id of a bug report's or deletion request's letter: derived from the parent's id, so two
    /// desks that both draft it make one record.
    public static func letterID(for parent: RecordID) -> RecordID {
        let digest = SHA256.hash(data: Array("sinkron letter\0\(parent.hex)".utf8))
        return RecordID(bytes: Array(digest).prefix(16))!
    }
}
