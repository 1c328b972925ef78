import Replica
import Testing

@testable import Replica

/// The field rule (`FieldMerge.add`, the merge's execute step for a field) driven alone, with no
/// SQLite, against a deliberately naive model that looks at all of a field's writes at once.
@Suite("Field merge against a naive model") struct FieldMergeModelTests {
    /// The rule from the whole set, with no incremental state: the heads are the valid writes no
    /// valid write names; the value is the greatest head by (clock, origin, seq); every two valid
    /// writes that named a common write, or both none, conflict, won by the greater.
    struct Model {
        let writes: [FieldWrite]

        static func greater(_ a: FieldWrite, _ b: FieldWrite) -> Bool { (a.hlc, a.op.origin, a.op.seq) > (b.hlc, b.op.origin, b.op.seq) }

        var heads: Set<OpID> {
            var replaced: Set<OpID> = []
            for w in writes where w.valid { for p in w.preds { replaced.insert(p) } }
            return Set(writes.filter { !replaced.contains($0.op) }.map(\.op))
        }

        var winner: OpID? {
            let heads = heads
            var best: FieldWrite?
            for w in writes where w.valid && heads.contains(w.op) {
                if best == nil || Self.greater(w, best!) { best = w }
            }
            return best?.op
        }

        var conflicts: Set<[OpID]> {
            var out: Set<[OpID]> = []
            for (i, a) in writes.enumerated() {
                for b in writes[(i + 1)...] where a.valid && b.valid {
                    let siblings = (a.preds.isEmpty && b.preds.isEmpty) || !Set(a.preds).isDisjoint(with: b.preds)
                    if siblings { out.insert(Self.greater(a, b) ? [a.op, b.op] : [b.op, a.op]) }
                }
            }
            return out
        }
    }

    /// Writes of one field by three origins: each names 0–2 writes that existed when it was
    /// made, clocks may tie, one in six is invalid (a letter number from the wrong desk).
    static func writes(_ rng: inout SplitMix64) -> [FieldWrite] {
        let origins = [ID128(high: 1, low: 0), ID128(high: 2, low: 0), ID128(high: 3, low: 0)]
        var seqs = [UInt64](repeating: 0, count: 3)
        var out: [FieldWrite] = []
        for _ in 0..<(2 + Int(rng.next() % 10)) {
            let o = Int(rng.next() % 3)
            seqs[o] += 1
            var preds: [OpID] = []
            if !out.isEmpty {
                for _ in 0..<Int(rng.next() % 3) {
                    let p = out[Int(rng.next() % UInt64(out.count))].op
                    if !preds.contains(p) { preds.append(p) }
                }
            }
            out.append(
                FieldWrite(
                    op: OpID(origin: origins[o], seq: seqs[o]), originIdx: Int64(o + 1), hlc: HLC(raw: 1_000 + rng.next() % 6), preds: preds, head: true,
                    valid: rng.next() % 6 != 0))
        }
        return out
    }

    @Test("any order of any writes ends at the model's value, heads and conflicts")
    func randomWritesInRandomOrders() {
        var rng = SplitMix64(seed: 0x5EED_F1E1D)
        var checked = 0
        for _ in 0..<600 {
            let writes = Self.writes(&rng)
            let model = Model(writes: writes)
            for _ in 0..<4 {
                var order = writes
                for i in order.indices.reversed() { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
                var state: [FieldWrite] = []
                var conflicts: Set<[OpID]> = []
                for w in order {
                    let outcome = FieldMerge.add(w, to: &state)
                    for other in outcome.conflicts { conflicts.insert(Model.greater(w, other) ? [w.op, other.op] : [other.op, w.op]) }
                    #expect(outcome.after?.op == state.winner?.op)
                }
                #expect(state.winner?.op == model.winner, "\(order.map(\.op))")
                #expect(Set(state.filter(\.head).map(\.op)) == model.heads)
                #expect(conflicts == model.conflicts)
                checked += 1
            }
        }
        #expect(checked == 2_400)
    }

    @Test("a refused write neither wins nor replaces what it named")
    func invalidWritesReplaceNothing() {
        let a = OpID(origin: ID128(high: 1, low: 0), seq: 1)
        let b = OpID(origin: ID128(high: 2, low: 0), seq: 1)
        var state: [FieldWrite] = []
        _ = FieldMerge.add(FieldWrite(op: a, originIdx: 1, hlc: HLC(raw: 10), preds: [], head: true, valid: true), to: &state)
        let outcome = FieldMerge.add(FieldWrite(op: b, originIdx: 2, hlc: HLC(raw: 99), preds: [a], head: true, valid: false), to: &state)
        #expect(outcome.after?.op == a && outcome.conflicts.isEmpty)
        #expect(FieldMerge.isValid(field: .number, role: .umumKeuangan) && !FieldMerge.isValid(field: .number, role: .mejaSatu))
        #expect(FieldMerge.isValid(field: .title, role: .mejaSatu))
    }
}
