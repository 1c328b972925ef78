/// The operations of a batch that are in the log but not merged yet. They are held compactly
/// (every payload in one buffer, decoded again when merged) until their segment of the batch
/// ends, and are then handed to the merge in record order, not arrival order.
///
/// Record order is what makes a large merge cheap. A record edited many times in a segment is
/// read once and written once, and the records are read and written in key order: new rows are
/// appended to the B-trees, and stored rows are visited in one sweep. Arrival order would touch
/// each record once per chunk, at random places in the tables. The merge does not depend on the
/// order (`MergeExecuteTests`), so only the I/O changes.
struct MergeQueue {
    private struct Entry {
        var origin: UInt32
        /// The record's number in `recordIDs` (-1: the operation names none).
        var record: Int32
        var offset: UInt32
        var length: UInt32
        var seq: UInt64
        var hlc: UInt64
    }

    private var entries: [Entry] = []
    private var payloads: [UInt8] = []
    private var origins: [OriginInfo] = []
    private var originSlots: [OriginID: UInt32] = [:]
    private var recordIDs: [RecordID] = []
    private var recordNumbers: [RecordID: Int32] = [:]

    var isEmpty: Bool { entries.isEmpty }

    /// About the memory the queue holds, in bytes.
    var footprint: Int { payloads.count + entries.count * MemoryLayout<Entry>.stride + recordIDs.count * 64 }

    mutating func append(_ op: Operation, payload: [UInt8], origin info: OriginInfo, reserving bytes: Int) {
        // Room for a whole segment at once: growing by doubling would hold up to twice the bytes.
        // Pages never written are not in memory, so a small batch costs nothing for it.
        if entries.isEmpty && entries.capacity == 0 {
            payloads.reserveCapacity(bytes * 2 / 3)
            entries.reserveCapacity(bytes / 3 / MemoryLayout<Entry>.stride)
        }
        let slot: UInt32
        if let known = originSlots[info.origin] {
            slot = known
        } else {
            slot = UInt32(origins.count)
            origins.append(info)
            originSlots[info.origin] = slot
        }
        var record: Int32 = -1
        if let id = op.body.record {
            if let number = recordNumbers[id] {
                record = number
            } else {
                record = Int32(recordIDs.count)
                recordIDs.append(id)
                recordNumbers[id] = record
            }
        }
        entries.append(Entry(origin: slot, record: record, offset: UInt32(payloads.count), length: UInt32(payload.count), seq: op.seq, hlc: op.hlc.raw))
        payloads.append(contentsOf: payload)
    }

    /// Hands everything queued to `merge` and empties the queue: first the operations that name
    /// no record (in arrival order), then the records' operations by record id, each record's in
    /// arrival order. Chunks hold about `chunkLimit` operations; one record's are never split.
    mutating func drain(chunkLimit: Int, _ merge: ([MergeOp]) throws -> Void) throws {
        defer { self = MergeQueue() }
        guard !entries.isEmpty else { return }
        // Each record's rank in id order, then the entries sorted by (rank, arrival).
        var rank = [UInt32](repeating: 0, count: recordIDs.count)
        for (position, number) in recordIDs.indices.sorted(by: { recordIDs[$0] < recordIDs[$1] }).enumerated() { rank[number] = UInt32(position + 1) }
        var order = [UInt64]()
        order.reserveCapacity(entries.count)
        for (i, e) in entries.enumerated() { order.append(UInt64(e.record < 0 ? 0 : rank[Int(e.record)]) << 32 | UInt64(i)) }
        order.sort()
        var chunk: [MergeOp] = []
        chunk.reserveCapacity(min(chunkLimit, entries.count))
        var previous: Int32 = -1
        for key in order {
            let e = entries[Int(key & 0xFFFF_FFFF)]
            // The operations without a record are merged first and alone (enrollments, flows and
            // settings there decide how the records' operations merge).
            if !chunk.isEmpty && e.record != previous && (previous < 0 || chunk.count >= chunkLimit) {
                try merge(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
            previous = e.record
            let info = origins[Int(e.origin)]
            let start = Int(e.offset)
            let op = try Operation.decode(origin: info.origin, seq: e.seq, hlc: HLC(raw: e.hlc), payload: payloads[start..<start + Int(e.length)])
            chunk.append(MergeOp(op: op, origin: info))
        }
        if !chunk.isEmpty { try merge(chunk) }
    }
}
