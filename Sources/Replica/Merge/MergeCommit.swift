/// The merge's last stage: writes what execute decided for a chunk, table by table in each
/// table's key order, with held prepared statements, inside the batch's one transaction. It
/// decides nothing: every value it writes is in `MergeChanges`.
final class MergeCommit {
    let replica: Replica
    let db: Database
    /// New fields' write sets, gathered into multi-row INSERTs.
    let writeRows: RowBuffer
    /// Per kind table, its row's INSERT and its any-columns UPDATE, prepared once.
    private var inserts: [RecordKind: Statement] = [:]
    private var updates: [Update: Statement] = [:]

    init(replica: Replica) throws {
        self.replica = replica
        self.db = replica.db
        writeRows = try RowBuffer(db, table: "write_sets", columns: ["rid", "hlc", "writes"])
    }

    /// The rows of one chunk that only ever are added, and membership.
    func write(_ changes: MergeChanges) throws {
        try writeRows(changes)
        try writeMembership(changes)
        for alert in changes.alerts { try replica.raiseAlert(kind: alert.kind, origin: alert.origin, seq: alert.seq, detail: alert.detail) }
    }

    /// Records' changes: `records`, then `write_sets`, then the kind tables, each in its key order.
    func writeRecords(_ records: [RecordChange]) throws {
        let insertRecord = try db.cached("INSERT INTO records(rid, id, kind, create_origin, create_seq) VALUES (?,?,?,?,?)")
        let updateRecord = try db.cached("UPDATE records SET kind = ?, create_origin = ?, create_seq = ? WHERE rid = ?")
        for r in records {
            let kind = r.kind.map { SQLValue.text($0.rawValue) } ?? .null
            if r.insert {
                try insertRecord.bind(
                    .int(r.rid), .text(r.id.hex), kind, r.create.map { .int($0.originIdx) } ?? .null, r.create.map { .int(Int64($0.seq)) } ?? .null
                ).run()
            } else if let create = r.create {
                try updateRecord.bind(kind, .int(create.originIdx), .int(Int64(create.seq)), .int(r.rid)).run()
            }
        }
        let update = try db.cached("UPDATE write_sets SET hlc = ?, writes = ? WHERE rid = ?")
        let localNumbers = replica.origins.mapValues(\.idx)
        for r in records.sorted(by: { $0.rid < $1.rid }) where !r.writeSets.isEmpty {
            // The fields this batch changed, encoded again; the others kept as they were read.
            var sets = r.writeSets.map { set in (field: set.field, bytes: WriteSetCodec.encode(set.writes) { localNumbers[$0] }[...]) }
            var hlc = r.storedSetsHLC
            for set in r.writeSets { for w in set.writes { hlc = max(hlc, Int64(w.hlc.raw)) } }
            if let stored = r.storedSets {
                let changed = Set(r.writeSets.map(\.field))
                for (field, range) in try RecordWriteSets.fields(stored) where !changed.contains(field) { sets.append((field, stored[range])) }
                try update.bind(.int(hlc), .blob(RecordWriteSets.encode(sets)), .int(r.rid)).run()
            } else {
                writeRows.put(.int(r.rid))
                writeRows.put(.int(hlc))
                writeRows.put(.blob(RecordWriteSets.encode(sets)))
                try writeRows.endRow()
            }
        }
        try writeRows.flush()
        let rows = records.compactMap { r in r.row.map { (id: r.id, kind: r.kind!, row: $0) } }
            .sorted { a, b in a.kind == b.kind ? a.id < b.id : a.kind.rawValue < b.kind.rawValue }
        for (id, kind, row) in rows {
            switch row {
            case .create(let values, let replacing):
                if let replacing { try db.cached("DELETE FROM \(replacing.table) WHERE id = ?").bind(.text(id.hex)).run() }
                try insertRow(id, values)
            case .update(let changed, let columns, let touched, let archive):
                try updateRow(id, kind: kind, changed: changed, columns: columns, touched: touched, archive: archive)
            }
        }
    }

    private func insertRow(_ id: RecordID, _ v: RowValues) throws {
        let statement = try inserts[v.kind] ?? {
            let names = v.kind.fields.map(\.name)
            let prepared = try db.prepare(
                "INSERT INTO \(v.kind.table)(id, sop, status, step, step_since, created_at, created_by, author, updated_at, archived, \(names.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: 10 + names.count).joined(separator: ",")))"
            )
            inserts[v.kind] = prepared
            return prepared
        }()
        statement.bind(
            .text(id.hex), .text(v.sop), .text(v.status), v.step.map { .int(Int64($0)) } ?? .null, .int(v.createdAt), .int(v.createdAt), .text(v.createdBy),
            .text(v.author), .int(v.updatedAt), .int(v.archived ? 1 : 0))
        for (i, value) in v.columns.enumerated() { statement.bind(.optional(value), at: Int32(11 + i)) }
        defer { statement.reset() }
        try statement.run()
    }

    /// One UPDATE per row, through held statements per kind table that set any subset of its
    /// columns: `SET c = CASE WHEN ?1 & bit THEN ? ELSE c END, …, updated_at = max(updated_at, ?)`.
    /// Archiving has its own statement: one that names `status` moves the row in the status index.
    private func updateRow(_ id: RecordID, kind: RecordKind, changed: UInt32, columns: [String?], touched: Int64, archive: Bool) throws {
        let n = kind.fields.count + 2
        let statement = try updates[Update(kind: kind, archive: archive)] ?? {
            let sets = kind.fields.enumerated().map { i, field in "\(field.name) = CASE WHEN ?1 & \(1 << i) THEN ?\(i + 2) ELSE \(field.name) END" }
            let prepared = try db.prepare(
                """
                UPDATE \(kind.table) SET \(sets.joined(separator: ", ")), updated_at = max(updated_at, ?\(n))\(archive ? ", archived = 1, status = 'archived'" : "")
                WHERE id = ?\(n + 1)
                """)
            updates[Update(kind: kind, archive: archive)] = prepared
            return prepared
        }()
        statement.resetKeepingBindings()
        statement.bind(int: Int64(changed), at: 1)
        for (i, value) in columns.enumerated() { statement.bind(.optional(value), at: Int32(i + 2)) }
        statement.bind(int: touched, at: Int32(n))
        statement.bind(text: id.hex, at: Int32(n + 1))
        defer { statement.reset() }
        try statement.run()
    }

    private struct Update: Hashable {
        var kind: RecordKind
        var archive: Bool
    }

    /// Rows that only ever are added: conflicts, step events, comments, archives, flows, settings.
    private func writeRows(_ changes: MergeChanges) throws {
        let conflict = try db.cached(
            "INSERT OR IGNORE INTO conflicts(record, field, winner, loser, winner_value, loser_value, winner_hlc, loser_hlc) VALUES (?,?,?,?,?,?,?,?)")
        for c in changes.conflicts {
            try conflict.bind(
                .text(c.record.hex), .text(c.field.name), .text("\(c.winner.op.origin.hex):\(c.winner.op.seq)"), .text("\(c.loser.op.origin.hex):\(c.loser.op.seq)"),
                .text(c.winnerValue), .text(c.loserValue), .int(Int64(c.winner.hlc.raw)), .int(Int64(c.loser.hlc.raw))
            ).run()
        }
        let step = try db.cached(
            "INSERT INTO steps(record, origin, seq, hlc, step, branch, note, node, role, author, status) VALUES (?,?,?,?,?,?,?,?,?,?,'pending')")
        for s in changes.steps.sorted(by: { ($0.record, $0.op) < ($1.record, $1.op) }) {
            try step.bind(
                .text(s.record.hex), .text(s.op.origin.hex), .int(Int64(s.op.seq)), .int(Int64(s.hlc.raw)), .int(Int64(s.step)), .optional(s.branch?.rawValue),
                .text(s.note), .text(s.node), .text(s.role.rawValue), .text(s.author)
            ).run()
        }
        let comment = try db.cached("INSERT INTO comments(record, origin, seq, hlc, node, author, text) VALUES (?,?,?,?,?,?,?)")
        for c in changes.comments.sorted(by: { ($0.record, $0.op) < ($1.record, $1.op) }) {
            try comment.bind(.text(c.record.hex), .text(c.op.origin.hex), .int(Int64(c.op.seq)), .int(Int64(c.hlc.raw)), .text(c.node), .text(c.author), .text(c.text))
                .run()
        }
        let archive = try db.cached("INSERT INTO archives(rid, origin_idx, seq, hlc) VALUES (?,?,?,?)")
        for a in changes.archives.sorted(by: { ($0.rid, $0.originIdx, $0.seq) < ($1.rid, $1.originIdx, $1.seq) }) {
            try archive.bind(.int(a.rid), .int(a.originIdx), .int(Int64(a.seq)), .int(Int64(a.hlc.raw))).run()
        }
        let flow = try db.cached("INSERT OR IGNORE INTO sop_flows(code, version, origin, seq, hlc, author, definition) VALUES (?,?,?,?,?,?,?)")
        for f in changes.flows {
            try flow.bind(
                .text(f.revision.code), .int(Int64(f.revision.version)), .text(f.op.origin.hex), .int(Int64(f.op.seq)), .int(Int64(f.hlc.raw)), .text(f.author),
                .text(f.revision.definition)
            ).run()
        }
        let setting = try db.cached("INSERT OR IGNORE INTO court_settings(key, hlc, origin, seq, author, value) VALUES (?,?,?,?,?,?)")
        for s in changes.settings {
            try setting.bind(.text(s.setting.key), .int(Int64(s.hlc.raw)), .text(s.op.origin.hex), .int(Int64(s.op.seq)), .text(s.author), .text(s.setting.value)).run()
        }
    }

    /// Nodes, members, enrollments and revocations: the rows execute decided, written as they are.
    private func writeMembership(_ changes: MergeChanges) throws {
        let node = try db.cached("INSERT OR REPLACE INTO nodes(origin, node, name, role, court, predecessor, public_key) VALUES (?,?,?,?,?,?,?)")
        for n in changes.nodes {
            let g = n.genesis
            try node.bind(
                .text(n.origin.hex), .text(g.node.hex), .text(g.name), .text(g.role.rawValue), .text(g.court), .optional(g.predecessor?.hex), .text(g.publicKey.hex)
            ).run()
        }
        let member = try db.cached("INSERT OR REPLACE INTO members(node, public_key, name, role, enrolled_by, enrolled_hlc) VALUES (?,?,?,?,?,?)")
        for m in changes.members {
            try member.bind(.text(m.member.node.hex), .text(m.member.publicKey.hex), .text(m.member.name), .text(m.member.role.rawValue), .text(m.by), .int(Int64(m.hlc)))
                .run()
        }
        let enrollment = try db.cached("INSERT OR IGNORE INTO enrollments(node, public_key, role, name, hlc, enrolled_by) VALUES (?,?,?,?,?,?)")
        for e in changes.enrollments {
            try enrollment.bind(.text(e.member.node.hex), .text(e.member.publicKey.hex), .text(e.member.role.rawValue), .text(e.member.name), .int(Int64(e.hlc)), .text(e.by))
                .run()
        }
        let revocation = try db.cached("INSERT OR REPLACE INTO revocations(node, revoked_by, revoked_hlc, keep) VALUES (?,?,?,?)")
        for r in changes.revocations {
            let keep = r.revocation.keep.map { "\($0.origin.hex):\($0.seq)" }.joined(separator: ",")
            try revocation.bind(.text(r.node.hex), .text(r.revocation.by), .int(Int64(r.revocation.hlc)), .text(keep)).run()
        }
    }
}
