import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// The run encoder's table of the positions at which ids were sent, against a `Dictionary`.
@Suite("Id positions table") struct IDPositionsTests {
    /// Random sets, overwrites, removals and lookups, over few ids (long collision chains once the
    /// low bits repeat) and over many (growth, then removals that shift slots back across the
    /// table's end): the table answers what the dictionary answers, every step.
    @Test(arguments: [(1, 40), (2, 3_000), (3, 50_000)])
    func itAnswersWhatADictionaryAnswers(seed: UInt64, ids: Int) {
        var rng = SplitMix64(seed: seed)
        // Ids that differ only in a few bits, and random ones.
        let pool = (0..<ids).map { n in rng.chance(50) ? ID128(high: 7, low: UInt64(n)) : ID128(high: rng.next(), low: rng.next()) }
        var table = IDPositions()
        var model: [ID128: UInt64] = [:]
        for step in 0..<(ids * 6) {
            let id = rng.pick(pool)
            switch rng.below(10) {
            case 0..<5:
                table.set(id, position: UInt64(step))
                model[id] = UInt64(step)
            case 5..<8:
                table.remove(id)
                model[id] = nil
            default:
                break
            }
            #expect(table.position(of: id) == model[id])
            #expect(table.count == model.count)
        }
        for id in pool { #expect(table.position(of: id) == model[id]) }
    }

    @Test func anEmptyTableHoldsNothing() {
        var table = IDPositions()
        let id = ID128(high: 1, low: 2)
        #expect(table.position(of: id) == nil)
        table.remove(id)
        #expect(table.count == 0)
        table.set(id, position: 0)
        #expect(table.position(of: id) == 0)
        table.remove(id)
        #expect(table.position(of: id) == nil)
        #expect(table.count == 0)
    }

    /// The encoder forgets an id pushed out of its window only if it was not sent again since.
    @Test func aRemovalAtAPositionLeavesALaterOne() {
        var table = IDPositions()
        let id = ID128(high: 3, low: 4)
        table.set(id, position: 5)
        table.set(id, position: 9)
        table.remove(id, ifAt: 5)
        #expect(table.position(of: id) == 9)
        table.remove(id, ifAt: 9)
        #expect(table.position(of: id) == nil)
        #expect(table.count == 0)
    }
}
