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
        guard let sop = db.flow(row.sop) else { return }
        // The create's clock: its milliseconds are stored; the fold needs the full reading only to order events.
        let created = try db.cached("SELECT o.hlc FROM records r JOIN ops o ON o.origin_idx = r.create_origin AND o.seq = r.create_seq WHERE r.rid = ?")
            .bind(.int(rid)).first { HLC(raw: UInt64($0.int(0))) } ?? HLC(milliseconds: UInt64(row.created), counter: 0)
        let state = WorkflowFold.fold(sop: sop, created: created, events: events)
        let update = try db.cached("UPDATE steps SET status = ? WHERE record = ? AND origin = ? AND seq = ?")
        for (op, status) in state.statuses where stored[op] != status.rawValue {
            try update.bind(.text(status.rawValue), .text(ref.hex), .text(op.origin.hex), .int(Int64(op.seq))).run()
        }
        let status = row.archived ? "archived" : state.current == nil ? "done" : "open"
        try db.cached("UPDATE \(kind.table) SET step = ?, step_since = ?, status = ? WHERE id = ?")
            .bind(state.current.map { SQLValue.int(Int64($0)) } ?? .null, .int(Int64(state.since.milliseconds)), .text(status), .text(ref.hex)).run()
    }
}
