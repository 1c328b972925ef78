extension Applier {
    /// Stores a revision of the court's SOP book, if the court admin published it, and refolds the
    /// records that follow that flow (their pinned definition may have just arrived).
    mutating func materialiseFlow(_ revision: FlowRevision, op: Operation, info: OriginInfo) throws {
        guard replica.isCourtAdmin(info) else {
            if rebuilding { return }
            try replica.raiseAlert(
                kind: "refused-flow", origin: op.origin, seq: op.seq,
                detail: "\(info.name) is not the court admin; its version \(revision.version) of SOP \(revision.code) is ignored")
            return
        }
        try db.cached("INSERT OR IGNORE INTO sop_flows(code, version, origin, seq, hlc, author, definition) VALUES (?,?,?,?,?,?,?)")
            .bind(
                .text(revision.code), .int(Int64(revision.version)), .text(op.origin.hex), .int(Int64(op.seq)), .int(Int64(op.hlc.raw)),
                .text(op.author.isEmpty ? info.name : op.author), .text(revision.definition)
            ).run()
        try flushRows()
        for kind in RecordKind.allCases {
            let rids = try db.prepare("SELECT r.rid FROM records r JOIN \(kind.table) t ON t.id = r.id WHERE t.sop = ? OR t.sop LIKE ?")
                .bind(.text(revision.code), .text(revision.code + "@%")).map { $0.int(0) }
            refold.formUnion(rids)
        }
    }
}
