/// The merge rule of one field, as a pure function of the field's writes: no SQL, no cache. The
/// applier reads the writes (prefetch), calls `add` (execute), and writes what it returns: the
/// write set, the column's new value, the conflicts (commit).
///
/// A write replaces the writes it names, if it is valid; the heads are the writes no valid write
/// replaced; the value is the greatest valid head by (clock, origin, seq). Two valid writes that
/// replaced the same value (or both nothing) are concurrent siblings: a conflict, whose winner is
/// the greater. The outcome does not depend on the order writes arrive in.
enum FieldMerge {
    struct Outcome {
        /// The winning write before and after.
        var before: OpID?
        var after: FieldWrite?
        /// The earlier writes the new one conflicts with.
        var conflicts: [FieldWrite] = []
    }

    /// Whether a write of `field` by `role` counts (a letter's number only from the numbering desk).
    static func isValid(field: Field, role: Role) -> Bool {
        let required = RecordKind.letter.writer(of: field)
        return required == nil || role == required
    }

    /// Adds `write` (its `head` is decided here) to the field's `writes`, whose heads are marked.
    static func add(_ write: FieldWrite, to writes: inout [FieldWrite]) -> Outcome {
        var outcome = Outcome(before: writes.winnerIndex.map { writes[$0].op })
        // Only a valid write replaces: a refused write (a letter number from the wrong role) must
        // not take the value it named out of the running.
        let superseded = writes.contains { $0.valid && $0.preds.contains(write.op) }
        if write.valid && !write.preds.isEmpty {
            for i in writes.indices where writes[i].head && write.preds.contains(writes[i].op) { writes[i].head = false }
        }
        var mine = write
        mine.head = !superseded
        if mine.valid { outcome.conflicts = writes.filter { $0.valid && $0.isSibling(of: mine) } }
        writes.append(mine)
        outcome.after = writes.winner
        return outcome
    }
}
