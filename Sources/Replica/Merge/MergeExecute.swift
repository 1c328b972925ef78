/// The merge rules, as a pure function of the prefetched state and a chunk's operations: no SQL,
/// no cache, nothing read but `state`. The result does not depend on how operations are split
/// into chunks, on when records' changes are taken, or on the operations' order (see
/// `MergeExecuteTests`), only on the set of them.
///
/// - A record is the create with the smallest (clock, origin, seq) among its creates; every
///   create's fields are writes like any other.
/// - A field's value is `FieldMerge`'s winner among all its writes; conflicts are pairs of
///   concurrent valid writes of different values.
/// - A record's `updated_at` is the latest millisecond of any operation on it; one archive
///   archives it.
/// - Only the court admin's enroll, revoke, flow and setting operations count; a node's role at
///   an operation is its enrollment's at that clock; the earliest revocation of a node counts.
/// - The workflow fold runs after the chunks (`WorkflowStage`) on the records marked `refold`.
enum MergeExecute {
    static func run(_ ops: [MergeOp], state: inout MergeState) -> MergeChanges {
        var changes = MergeChanges()
        // Records first met in this chunk get local numbers in id order, whatever the operations' order.
        var new: [RecordID] = []
        var last: RecordID?
        // By index, not `for m in ops`: the loop's copy of each operation would retain and
        // release every string and array it holds (in a profile of an import, a quarter of
        // prefetch's and execute's time went to such copies).
        for i in ops.indices {
            guard let id = ops[i].record, id != last else { continue }
            last = id
            if state.records[id] == nil { new.append(id) }
        }
        new.sort()
        for (i, id) in new.enumerated() where i == 0 || new[i - 1] != id {
            state.records[id] = RecordState(rid: state.nextRID, id: id, stored: false, kind: nil)
            state.nextRID += 1
        }
        // A chunk comes grouped by record (`MergeQueue`): the record at hand stays out of
        // `state.records` until an operation names another, instead of being taken out and put
        // back for each operation. (Any order gives the same result, only slower.)
        var current: RecordState?
        // Through the buffer: `apply(ops[i], …)` would copy each operation for the call.
        ops.withUnsafeBufferPointer { ops in
            for i in ops.indices {
                if let id = current?.id, id != ops[i].record { putBack(&current, into: &state) }
                apply(ops[i], current: &current, state: &state, changes: &changes)
            }
        }
        putBack(&current, into: &state)
        return changes
    }

    private static func putBack(_ current: inout RecordState?, into state: inout MergeState) {
        guard let id = current?.id else { return }
        state.records[id] = current
        current = nil
    }

    /// What commit writes for every record changed since the last call, in id order; the records
    /// leave the state (SQLite then holds them whole, and the next prefetch reads them there).
    static func takeRecordChanges(_ state: inout MergeState) -> [RecordChange] {
        var out: [RecordChange] = []
        for r in state.records.values where r.dirty { out.append(change(of: r)) }
        out.sort { $0.id < $1.id }
        state.records.removeAll()
        state.numbered = false
        return out
    }

    /// Folds one operation in. `current` holds, out of `state.records`, the record of the
    /// operation before (if any); the record this one names is left in it.
    private static func apply(_ m: MergeOp, current: inout RecordState?, state: inout MergeState, changes: inout MergeChanges) {
        let op = m.op, source = m.source
        let ms = Int64(op.hlc.milliseconds)
        let author = op.author.isEmpty ? source.info.name : op.author
        func refused(_ kind: String, _ what: String) {
            guard !state.rebuilding else { return }
            changes.alerts.append(AlertRow(kind: kind, origin: op.origin, seq: op.seq, detail: "\(source.info.name) is not the court admin; \(what) is ignored"))
        }
        switch op.body {
        case .genesis(let g):
            changes.nodes.append(NodeRow(origin: op.origin, genesis: g))
        case .create(let id, let kind, let sop, let fields):
            var r = record(id, current: &current, state: &state)
            var create = CreateInfo(hlc: op.hlc, origin: op.origin, seq: op.seq, originIdx: source.info.idx, kind: kind, sop: sop, fields: fields)
            create.createdBy = source.info.name
            create.author = author
            create.start = state.flowStarts[sop] ?? nil
            let role = state.role(of: source.info, at: op.hlc)
            for f in fields { write(f.field, value: f.value, preds: [], op: m, role: role, record: &r, changes: &changes) }
            r.touched.raise(to: ms)
            if let earlier = r.create {
                // A second create of one id (forged, or random ids colliding): every replica keeps the
                // create with the smaller (clock, origin, seq). The same create written by two nodes
                // (a record whose id is derived, such as a schedule's instance), or a bug report's
                // letter drafted at two desks, is one record: no alert.
                let same = earlier.kind == kind && earlier.sop == sop && earlier.fields == fields
                if !state.rebuilding && !same && !isDerivedLetter(id, kind: kind, fields: fields) {
                    changes.alerts.append(
                        AlertRow(kind: "duplicate-record", origin: op.origin, seq: op.seq, detail: "record \(id.hex) was created twice; the earlier create counts"))
                }
                guard create.precedes(earlier) else {
                    current = r
                    return
                }
            }
            r.create = create
            r.kind = kind
            r.rowCreated = true
            // A letter changes how its parent folds (the steps it covers are done through it). A
            // parent not in the state is not stored (new in a later chunk, or not here yet): it
            // has no stored steps, and its steps of this batch refold it.
            if isDerivedLetter(id, kind: kind, fields: fields), let parent = MergePrefetch.letterParent(kind, fields), let p = state.records[parent], p.kind != nil {
                changes.refold.insert(p.rid)
            }
            // Step events that came before the create (relayed out of order) move its row.
            if r.hasSteps { changes.refold.insert(r.rid) }
            current = r
        case .set(let id, let field, let value, let replaces):
            var r = record(id, current: &current, state: &state)
            write(field, value: value, preds: replaces, op: m, role: state.role(of: source.info, at: op.hlc), record: &r, changes: &changes)
            r.touched.raise(to: ms)
            current = r
        case .step(let id, let step, let branch, let note):
            var r = record(id, current: &current, state: &state)
            changes.steps.append(
                StepRow(record: id, op: op.id, hlc: op.hlc, step: step, branch: branch, note: note, node: source.info.name, role: state.role(of: source.info, at: op.hlc), author: author))
            r.hasSteps = true
            r.touched.raise(to: ms)
            changes.refold.insert(r.rid)
            current = r
        case .comment(let id, let text):
            var r = record(id, current: &current, state: &state)
            changes.comments.append(CommentRow(record: id, op: op.id, hlc: op.hlc, node: source.info.name, author: author, text: text))
            r.touched.raise(to: ms)
            current = r
        case .archive(let id):
            var r = record(id, current: &current, state: &state)
            changes.archives.append(ArchiveRow(rid: r.rid, originIdx: source.info.idx, seq: op.seq, hlc: op.hlc))
            r.archived = true
            r.archivedNow = true
            r.touched.raise(to: ms)
            current = r
        case .enroll(let member):
            guard state.isAdmin(source.info) else { return refused("refused-enroll", "its enrollment of \(member.name)") }
            let by = "\(op.origin.hex):\(op.seq)"
            let row = MemberRow(member: member, by: by, hlc: op.hlc.raw)
            changes.enrollments.append(row)
            // The node's latest enrollment is its membership.
            if state.members[member.node].map({ (op.hlc.raw, by) > ($0.hlc, $0.by) }) ?? true {
                state.members[member.node] = (op.hlc.raw, by)
                changes.members.append(row)
            }
            let enrollment = Enrollment(hlc: op.hlc, by: op.id, publicKey: member.publicKey, role: member.role, name: member.name)
            if !state.enrollments[member.node, default: []].contains(enrollment) {
                state.enrollments[member.node, default: []].append(enrollment)
                state.enrollments[member.node]!.sort()
                // Operations of this node already folded were judged under its earlier enrollments.
                if !state.rebuilding && state.foldedNodes.contains(member.node) { changes.needsRebuild = true }
            }
        case .revoke(let target, let keep):
            guard state.isAdmin(source.info) else { return refused("refused-revoke", "its revocation of \(target.short)") }
            let candidate = StoredRevocation(hlc: op.hlc.raw, by: "\(op.origin.hex):\(op.seq)", keep: keep.sorted())
            if state.revocations[target].map({ (candidate.hlc, candidate.by) < ($0.hlc, $0.by) }) ?? true {
                state.revocations[target] = candidate
                changes.revocations.append(RevocationRow(node: target, revocation: candidate))
            }
            if !state.rebuilding, let effective = state.revocations[target] {
                var kept: [OriginID: UInt64] = [:]
                for op in effective.keep { kept[op.origin] = op.seq }
                changes.revoked[target] = Revocation(node: target, keep: kept)
            }
        case .flow(let revision):
            guard state.isAdmin(source.info) else { return refused("refused-flow", "its version \(revision.version) of SOP \(revision.code)") }
            changes.flows.append(FlowRow(revision: revision, op: op.id, hlc: op.hlc, author: author))
            // Records pinned to this flow may have just got their definition.
            changes.refoldFlows.insert(revision.code)
        case .setting(let setting):
            guard state.isAdmin(source.info) else { return refused("refused-setting", "its court setting \(setting.key)") }
            changes.settings.append(SettingRow(setting: setting, op: op.id, hlc: op.hlc, author: author))
        }
    }

    /// The record's state (numbered in `run` if new), taken out while it changes so that changing
    /// it copies nothing; the caller leaves it in `current`.
    private static func record(_ id: RecordID, current: inout RecordState?, state: inout MergeState) -> RecordState {
        var r: RecordState
        if current?.id == id {
            r = current!
            current = nil
        } else {
            putBack(&current, into: &state)
            r = state.records.removeValue(forKey: id) ?? RecordState(rid: state.nextRID, id: id, stored: false, kind: nil)
        }
        r.dirty = true
        return r
    }

    /// A bug report's or deletion request's letter: its id is derived from its parent's.
    private static func isDerivedLetter(_ id: RecordID, kind: RecordKind, fields: [FieldValue]) -> Bool {
        kind == .letter && fields.contains { $0.field == .forRecord && RecordID(hex: $0.value).map(Replica.letterID(for:)) == id }
    }

    /// Adds one write of a field (`FieldMerge.add`) and the conflicts it makes.
    private static func write(
        _ field: Field, value: String, preds: [OpID], op m: MergeOp, role: Role, record r: inout RecordState, changes: inout MergeChanges
    ) {
        let write = FieldWrite(op: m.op.id, originIdx: m.source.info.idx, hlc: m.op.hlc, preds: preds, head: true, valid: FieldMerge.isValid(field: field, role: role))
        // The field's state is changed in place: one lookup, and no copy of its arrays.
        add(write, value: value, field: field, record: r.id, to: &r.fields[field, default: FieldState()], changes: &changes)
    }

    private static func add(_ write: FieldWrite, value: String, field: Field, record: RecordID, to f: inout FieldState, changes: inout MergeChanges) {
        // A create naming one field twice: its value is the last (see `MergePrefetch.value`).
        for i in f.writes.indices where f.writes[i].op == write.op { f.values[i] = value }
        let outcome = FieldMerge.add(write, to: &f.writes)
        f.values.append(value)
        for other in outcome.conflicts {
            let otherValue = f.value(of: other.op) ?? ""
            // Two writes of one value lose nothing to each other (a record made twice by two nodes,
            // two desks typing the same fix): no conflict. A function of the pair, so order-free.
            guard otherValue != value else { continue }
            let (winner, winnerValue, loser, loserValue) = write.beats(other) ? (write, value, other, otherValue) : (other, otherValue, write, value)
            changes.conflicts.append(ConflictRow(record: record, field: field, winner: winner, winnerValue: winnerValue, loser: loser, loserValue: loserValue))
            changes.conflictsFound += 1
        }
        f.changed = true
    }

    /// What commit writes for a record the chunk touched: its write sets, and its row from the
    /// final state (a new row whole, else the columns whose winner changed).
    private static func change(of r: RecordState) -> RecordChange {
        var change = RecordChange(
            rid: r.rid, id: r.id, insert: !r.stored, kind: r.kind, create: r.rowCreated ? r.create.map { ($0.originIdx, $0.seq) } : nil, writeSets: [],
            storedSets: r.storedSets, storedSetsHLC: r.storedSetsHLC)
        for (field, f) in r.fields where f.changed { change.writeSets.append((field, f.writes)) }
        change.writeSets.sort { $0.field.rawValue < $1.field.rawValue }
        guard let kind = r.kind else { return change }
        if r.rowCreated, let create = r.create {
            let columns = kind.fields.map { r.fields[$0]?.winnerValue }
            // No definition held for the record's flow yet: it waits, unfolded (see `Database.flow`).
            let values = RowValues(
                kind: kind, sop: create.sop, status: r.archived ? "archived" : create.start == nil ? "waiting" : "open", step: create.start,
                createdAt: Int64(create.hlc.milliseconds), createdBy: create.createdBy, author: create.author,
                updatedAt: max(Int64(create.hlc.milliseconds), r.latest, r.touched), archived: r.archived, columns: columns)
            change.row = .create(values, replacing: r.storedKind)
            return change
        }
        var changed: UInt32 = 0
        var columns = [String?](repeating: nil, count: kind.fields.count)
        for (field, f) in r.fields where f.changed {
            guard let column = kind.column(of: field) else { continue }
            let winner = f.writes.winner
            guard winner?.op != f.storedWinner else { continue }
            changed |= 1 << UInt32(column)
            columns[column] = f.winnerValue
        }
        if changed != 0 || r.touched != .min || r.archivedNow {
            change.row = .update(changed: changed, columns: columns, touched: r.touched, archive: r.archivedNow)
        }
        return change
    }
}
