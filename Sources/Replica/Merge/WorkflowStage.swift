import Crypto

/// The merge's workflow stage, run once per batch after its chunks: the records whose step
/// events, flow definition or letter changed are folded again, in the same three steps as a
/// chunk: read each record's flow, create clock and step events (in rid order); fold them
/// (`WorkflowFold`, pure); write the step statuses and the row's step and status.
///
/// Letters are folded first: a bug report's or deletion request's fold reads how far its letter
/// got, and every parent of a letter folded is folded after it.
struct WorkflowStage {
    let replica: Replica
    let db: Database
    static let sliceLimit = 1024

    init(replica: Replica) {
        self.replica = replica
        self.db = replica.db
    }

    /// What the fold of one record reads.
    struct Input {
        var rid: Int64
        var hex: String
        var kind: RecordKind
        var sop: SOP?
        var archived: Bool
        var created: HLC
        var events: [StepEvent]
        var stored: [OpID: String]
        var letter: LetterProgress?
    }

    /// What it writes.
    struct Output {
        var hex: String
        var kind: RecordKind
        var step: Int?
        var since: Int64?
        var status: String
        var statuses: [(OpID, StepStatus)]
    }

    /// The records that follow a flow (pinned to any of its versions, or not).
    func records(following codes: Set<String>) throws -> Set<Int64> {
        var rids: Set<Int64> = []
        for code in codes.sorted() {
            for kind in RecordKind.allCases {
                try db.cached("SELECT r.rid FROM records r JOIN \(kind.table) t ON t.id = r.id WHERE t.sop = ? OR t.sop LIKE ?")
                    .bind(.text(code), .text(code + "@%")).forEach { rids.insert($0.int(0)) }
            }
        }
        return rids
    }

    func foldEverything() throws {
        try fold(Set(db.prepare("SELECT rid FROM records WHERE kind IS NOT NULL").map { $0.int(0) }))
    }

    func fold(_ rids: Set<Int64>) throws {
        guard !rids.isEmpty else { return }
        let kinds = try rids.sorted().map { rid in (rid, try db.cached("SELECT kind FROM records WHERE rid = ?").bind(.int(rid)).first { $0.optionalText(0) } ?? nil) }
        let letters = kinds.filter { $0.1 == RecordKind.letter.rawValue }.map(\.0)
        var others = Set(kinds.filter { $0.1 != nil && $0.1 != RecordKind.letter.rawValue }.map(\.0))
        for slice in letters.chunked(Self.sliceLimit) {
            let inputs = try slice.compactMap(prefetch)
            try write(inputs.map(Self.execute))
            for input in inputs { if let parent = try letterParent(input.hex) { others.insert(parent) } }
        }
        for slice in others.sorted().chunked(Self.sliceLimit) {
            try write(slice.compactMap(prefetch).map(Self.execute))
        }
    }

    // MARK: Prefetch

    private func prefetch(_ rid: Int64) throws -> Input? {
        guard
            let (hex, kind, createOrigin, createSeq) = try db.cached("SELECT id, kind, create_origin, create_seq FROM records WHERE rid = ?").bind(.int(rid))
                .first({ ($0.text(0), $0.optionalText(1).flatMap(RecordKind.init(rawValue:)), $0.optionalInt(2), $0.optionalInt(3)) }),
            let kind,
            let row = try db.cached("SELECT sop, created_at, archived FROM \(kind.table) WHERE id = ?").bind(.text(hex)).first({
                (sop: $0.text(0), created: $0.int(1), archived: $0.int(2) != 0)
            })
        else { return nil }
        let (events, stored) = try db.stepEvents(record: hex)
        let sop = db.flow(row.sop)
        // The create's clock: its milliseconds are stored; the fold needs the full reading only to order events.
        var log = LogReader(db)
        let createHLC = try createOrigin.flatMap { idx in try createSeq.flatMap { try log.entry(origin: idx, seq: UInt64($0))?.hlc } }
        let created = createHLC.map { HLC(raw: $0) } ?? HLC(milliseconds: UInt64(row.created), counter: 0)
        let letter = try sop.flatMap { try letterProgress(parent: hex, sop: $0) }
        return Input(rid: rid, hex: hex, kind: kind, sop: sop, archived: row.archived, created: created, events: events, stored: stored, letter: letter)
    }

    /// The progress of a parent's letter record, when its flow has a letter and the letter exists.
    private func letterProgress(parent hex: String, sop: SOP) throws -> LetterProgress? {
        guard sop.letter != nil, let id = RecordID(hex: hex) else { return nil }
        return try db.cached("SELECT status, step, step_since FROM letters WHERE id = ?").bind(.text(Replica.letterID(for: id).hex)).first { r in
            let ended = r.optionalInt(1) == nil && r.text(0) != "waiting"
            return LetterProgress(ended: ended ? HLC(milliseconds: UInt64(r.optionalInt(2) ?? 0), counter: 0) : nil)
        }
    }

    /// The local number of the record whose letter `hex` is (its `for_record`, if the letter's id
    /// is the one derived from it).
    private func letterParent(_ hex: String) throws -> Int64? {
        guard let parent = try db.cached("SELECT for_record FROM letters WHERE id = ?").bind(.text(hex)).first({ $0.optionalText(0) }) ?? nil,
            let parentID = RecordID(hex: parent), Replica.letterID(for: parentID).hex == hex
        else { return nil }
        return try db.cached("SELECT rid FROM records WHERE id = ? AND kind IS NOT NULL").bind(.text(parent)).first { $0.int(0) }
    }

    // MARK: Execute

    static func execute(_ input: Input) -> Output {
        guard let sop = input.sop else {
            // The flow's definition has not reached this replica: the record waits at no step.
            return Output(hex: input.hex, kind: input.kind, step: nil, since: nil, status: input.archived ? "archived" : "waiting", statuses: [])
        }
        let state = WorkflowFold.fold(sop: sop, created: input.created, events: input.events, letter: input.letter)
        let statuses = state.statuses.filter { input.stored[$0.key] != $0.value.rawValue }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return Output(
            hex: input.hex, kind: input.kind, step: state.current, since: Int64(state.since.milliseconds),
            status: input.archived ? "archived" : state.current == nil ? "done" : "open", statuses: statuses)
    }

    // MARK: Commit

    private func write(_ outputs: [Output]) throws {
        let update = try db.cached("UPDATE steps SET status = ? WHERE record = ? AND origin = ? AND seq = ?")
        for output in outputs {
            for (op, status) in output.statuses {
                try update.bind(.text(status.rawValue), .text(output.hex), .text(op.origin.hex), .int(Int64(op.seq))).run()
            }
            if let since = output.since {
                try db.cached("UPDATE \(output.kind.table) SET step = ?, step_since = ?, status = ? WHERE id = ?")
                    .bind(output.step.map { SQLValue.int(Int64($0)) } ?? .null, .int(since), .text(output.status), .text(output.hex)).run()
            } else {
                try db.cached("UPDATE \(output.kind.table) SET step = NULL, status = ? WHERE id = ?").bind(.text(output.status), .text(output.hex)).run()
            }
        }
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
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
