/// The position in a stream at which each id was last sent inline, for the run encoder
/// (`OperationRun.EncodingContext`): a hash table with open addressing and linear probing, whose
/// slots hold the id and its position together.
///
/// The encoder looks up every record id it sends. A `Dictionary` keeps keys and values in
/// separate arrays, so with the window's 131,072 ids (several megabytes) a lookup of a record
/// chosen at random cost several cache misses: 22 % of a 1M-operation sync's sender. Here a
/// lookup reads one slot, and the slots after it only on a collision. Ids are hashed with
/// `Hasher`, which is seeded per process, because members choose record ids: no one can aim ids
/// at one run of slots. Removal shifts the following slots back, so no tombstones pile up.
struct IDPositions: Sendable {
    private struct Slot: Sendable {
        var id: ID128
        /// The position plus one; 0 marks an empty slot.
        var stored: UInt64
    }

    private var slots: [Slot] = []
    /// How many ids the table holds.
    private(set) var count = 0

    init() {}

    /// Where `id` was last recorded, if it is held.
    func position(of id: ID128) -> UInt64? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var i = Self.home(id, mask)
        while true {
            let slot = slots[i]
            if slot.stored == 0 { return nil }
            if slot.id == id { return slot.stored - 1 }
            i = (i + 1) & mask
        }
    }

    /// Records `id` at `position`, replacing what it held before.
    mutating func set(_ id: ID128, position: UInt64) {
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var i = Self.home(id, mask)
        while slots[i].stored != 0, slots[i].id != id { i = (i + 1) & mask }
        if slots[i].stored == 0 { count += 1 }
        slots[i] = Slot(id: id, stored: position + 1)
    }

    /// Forgets `id`, if it is held (and, given `position`, only if it is held there).
    mutating func remove(_ id: ID128, ifAt position: UInt64? = nil) {
        guard !slots.isEmpty else { return }
        let mask = slots.count - 1
        var hole = Self.home(id, mask)
        while slots[hole].id != id || slots[hole].stored == 0 {
            if slots[hole].stored == 0 { return }
            hole = (hole + 1) & mask
        }
        if let position, slots[hole].stored != position + 1 { return }
        // Move back each following slot whose home is not between the hole and itself (cyclically),
        // so that every id stays reachable from its home without a gap.
        var next = hole
        while true {
            next = (next + 1) & mask
            guard slots[next].stored != 0 else { break }
            let home = Self.home(slots[next].id, mask)
            let stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if stays { continue }
            slots[hole] = slots[next]
            hole = next
        }
        slots[hole].stored = 0
        count -= 1
    }

    private static func home(_ id: ID128, _ mask: Int) -> Int { id.hashValue & mask }

    /// Doubles the slots (1,024 at first), at most half of them in use.
    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(id: ID128(high: 0, low: 0), stored: 0), count: max(1024, old.count * 2))
        count = 0
        for slot in old where slot.stored != 0 { set(slot.id, position: slot.stored - 1) }
    }
}
