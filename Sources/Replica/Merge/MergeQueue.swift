import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The operations of a batch that are in the log but not merged yet. They are held compactly
/// (every payload in one buffer, decoded again when merged) until their segment of the batch
/// ends, and are then handed to the merge in record order, not arrival order.
///
/// Record order is what makes a large merge cheap. A record edited many times in a segment is
/// read once and written once, and the records are read and written in key order: new rows are
/// appended to the B-trees, and stored rows are visited in one sweep. Arrival order would touch
/// each record once per chunk, at random places in the tables. The merge does not depend on the
/// order (`MergeExecuteTests`), so only the I/O changes.
///
/// A segment larger than memory allows is sorted the way databases sort: when the queue holds
/// its bound, its operations are written out in record order as one run of a spill file (in the
/// replica's folder, unlinked at once), and `drain` merges the runs, so each record is still
/// read and written once per segment, however large the batch.
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
    /// Origins by slot, for the whole segment (spilled runs name them by slot).
    private var origins: [MergeOrigin] = []
    private var originSlots: [OriginID: UInt32] = [:]
    /// The slot of the origin appended last (operations come in runs of one origin).
    private var lastSlot: (origin: OriginID, slot: UInt32)?
    private var recordIDs: [RecordID] = []
    private var recordNumbers: [RecordID: Int32] = [:]
    /// How many operations are queued, in memory and spilled.
    private(set) var count = 0
    private var spill: SpillFile?
    /// The spilled runs, oldest first: byte ranges of `spill`.
    private var runs: [Range<Int64>] = []

    var isEmpty: Bool { entries.isEmpty && runs.isEmpty }

    /// About the memory the queue holds, in bytes.
    var footprint: Int { payloads.count + entries.count * MemoryLayout<Entry>.stride + recordIDs.count * 64 }

    mutating func append(_ op: Operation, payload: [UInt8], origin source: MergeOrigin, reserving bytes: Int) {
        // Room for a whole run at once: growing by doubling would hold up to twice the bytes.
        // Pages never written are not in memory, so a small batch costs nothing for it.
        if entries.isEmpty && entries.capacity == 0 {
            payloads.reserveCapacity(bytes * 2 / 3)
            entries.reserveCapacity(bytes / 3 / MemoryLayout<Entry>.stride)
        }
        let slot: UInt32
        let origin = source.info.origin
        if let last = lastSlot, last.origin == origin {
            slot = last.slot
        } else if let known = originSlots[origin] {
            slot = known
        } else {
            slot = UInt32(origins.count)
            origins.append(source)
            originSlots[origin] = slot
        }
        lastSlot = (origin, slot)
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
        count += 1
    }

    /// The queued entries' positions in record order: first those that name no record, then by
    /// record id; each record's in arrival order.
    private func sortedEntries() -> [Int] {
        var rank = [UInt32](repeating: 0, count: recordIDs.count)
        for (position, number) in recordIDs.indices.sorted(by: { recordIDs[$0] < recordIDs[$1] }).enumerated() { rank[number] = UInt32(position + 1) }
        var order = [UInt64]()
        order.reserveCapacity(entries.count)
        for (i, e) in entries.enumerated() { order.append(UInt64(e.record < 0 ? 0 : rank[Int(e.record)]) << 32 | UInt64(i)) }
        order.sort()
        return order.map { Int($0 & 0xFFFF_FFFF) }
    }

    /// Writes what the queue holds to the spill file as one run in record order, and lets it go.
    mutating func spillRun(in folder: String) throws {
        guard !entries.isEmpty else { return }
        if spill == nil { spill = try SpillFile(in: folder) }
        let start = spill!.size
        var w = BinaryWriter(capacity: 1 << 20)
        for i in sortedEntries() {
            let e = entries[i]
            let payload = payloads[Int(e.offset)..<Int(e.offset + e.length)]
            SpilledOp.encode(record: e.record < 0 ? nil : recordIDs[Int(e.record)], origin: e.origin, seq: e.seq, hlc: e.hlc, payload: payload, into: &w)
            if w.bytes.count >= 1 << 20 {
                try spill!.append(w.bytes)
                w.bytes.removeAll(keepingCapacity: true)
            }
        }
        try spill!.append(w.bytes)
        runs.append(start..<spill!.size)
        // The buffers (tens of MiB) are kept for the next run, not freed and taken again at
        // every spill: a 10M import spills about thirty times.
        entries.removeAll(keepingCapacity: true)
        payloads.removeAll(keepingCapacity: true)
        recordIDs.removeAll(keepingCapacity: true)
        recordNumbers.removeAll(keepingCapacity: true)
    }

    /// Hands everything queued to `merge` and empties the queue: first the operations that name
    /// no record, then the records' operations by record id, each record's in arrival order
    /// (spilled runs are merged). Chunks hold about `chunkLimit` operations; one record's are
    /// never split.
    ///
    /// From `threadFrom` operations on, a second thread reads, orders and decodes the chunks
    /// while `merge` works on the one before (at most two chunks ahead): the merge then does
    /// only its own work on this thread. Both ways hand over the same chunks in the same order.
    mutating func drain(chunkLimit: Int, threadFrom: Int = Int.max, _ merge: ([MergeOp]) throws -> Void) throws {
        defer { self = MergeQueue() }
        guard !isEmpty else { return }
        guard count >= threadFrom else {
            try chunks(chunkLimit: chunkLimit) { chunk in
                try merge(chunk)
                return true
            }
            return
        }
        let handoff = Handoff<[MergeOp]>(capacity: 2)
        let queue = self
        let thread = Thread {
            do {
                try queue.chunks(chunkLimit: chunkLimit) { handoff.put($0) }
                handoff.finish(nil)
            } catch {
                handoff.finish(error)
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
        // Whatever `merge` throws, the reader stops and is waited for before this returns.
        defer { handoff.cancelAndWait() }
        while let chunk = try handoff.take() { try merge(chunk) }
    }

    /// Builds the chunks `drain` hands over and gives each to `emit`, which says whether to go on.
    private func chunks(chunkLimit: Int, _ emit: ([MergeOp]) throws -> Bool) throws {
        var sources: [any SpilledSource] = []
        if let spill {
            // Each run's reader holds a buffer: together at most about 4 MiB.
            let buffer = max(4096, min(1 << 20, (4 << 20) / max(1, runs.count)))
            for range in runs { sources.append(RunReader(file: spill, range: range, buffer: buffer)) }
        }
        if !entries.isEmpty { sources.append(MemoryRun(queue: self, order: sortedEntries())) }
        var heads: [SpilledOp?] = try sources.indices.map { try sources[$0].next() }
        var heap = MergeHeap()
        for (i, head) in heads.enumerated() { if let head { heap.push(head.sortKey, source: i) } }
        var chunk: [MergeOp] = []
        chunk.reserveCapacity(chunkLimit)
        var previous: RecordID??
        while let source = heap.pop() {
            let op = heads[source]!
            // The operations without a record are merged first and alone (enrollments, flows and
            // settings there decide how the records' operations merge).
            if let previous, !chunk.isEmpty, op.record != previous, previous == nil || chunk.count >= chunkLimit {
                guard try emit(chunk) else { return }
                chunk.removeAll(keepingCapacity: true)
            }
            previous = op.record
            let origin = origins[Int(op.origin)]
            chunk.append(MergeOp(op: try Operation.decode(origin: origin.info.origin, seq: op.seq, hlc: HLC(raw: op.hlc), payload: op.payload), source: origin))
            heads[source] = try sources[source].next()
            if let next = heads[source] { heap.push(next.sortKey, source: source) }
        }
        if !chunk.isEmpty { _ = try emit(chunk) }
    }

    /// The in-memory entries as a source, in record order.
    private struct MemoryRun: SpilledSource {
        let queue: MergeQueue
        let order: [Int]
        var position = 0

        mutating func next() throws -> SpilledOp? {
            guard position < order.count else { return nil }
            let e = queue.entries[order[position]]
            position += 1
            return SpilledOp(
                record: e.record < 0 ? nil : queue.recordIDs[Int(e.record)], origin: e.origin, seq: e.seq, hlc: e.hlc,
                payload: queue.payloads[Int(e.offset)..<Int(e.offset + e.length)])
        }
    }
}

/// One queued operation as a run holds it.
private struct SpilledOp {
    var record: RecordID?
    var origin: UInt32
    var seq: UInt64
    var hlc: UInt64
    var payload: ArraySlice<UInt8>

    /// Operations without a record sort first.
    var sortKey: (UInt8, RecordID) { record.map { (1, $0) } ?? (0, ID128(high: 0, low: 0)) }

    /// Its bytes in a run: their length (4 bytes), then a flag and the record's id if it names
    /// one, the origin's slot, seq, clock, and the payload.
    static func encode(record: RecordID?, origin: UInt32, seq: UInt64, hlc: UInt64, payload: ArraySlice<UInt8>, into w: inout BinaryWriter) {
        let lengthAt = w.bytes.count
        w.u32be(0)
        if let record {
            w.u8(1)
            w.id(record)
        } else {
            w.u8(0)
        }
        w.varint(UInt64(origin))
        w.varint(seq)
        w.varint(hlc)
        w.raw(payload)
        w.setU32be(UInt32(w.bytes.count - lengthAt - 4), at: lengthAt)
    }

    static func decode(_ bytes: [UInt8], at offset: Int, length: Int) throws -> SpilledOp {
        var r = BinaryReader(bytes, offset: offset, end: offset + length)
        let record = try r.u8() == 1 ? try r.id() : nil
        let origin = UInt32(truncatingIfNeeded: try r.varint())
        let seq = try r.varint()
        let hlc = try r.varint()
        return SpilledOp(record: record, origin: origin, seq: seq, hlc: hlc, payload: bytes[r.offset..<offset + length])
    }
}

private protocol SpilledSource {
    mutating func next() throws -> SpilledOp?
}

/// Reads one spilled run back, through a buffer.
private struct RunReader: SpilledSource {
    let file: SpillFile
    var position: Int64
    let end: Int64
    let bufferSize: Int
    var buffer: [UInt8] = []
    var offset = 0

    init(file: SpillFile, range: Range<Int64>, buffer: Int) {
        self.file = file
        self.position = range.lowerBound
        self.end = range.upperBound
        self.bufferSize = buffer
    }

    /// Makes sure `count` bytes from `offset` are in the buffer (reading on from the file).
    private mutating func fill(_ count: Int) throws -> Bool {
        if buffer.count - offset >= count { return true }
        buffer.removeSubrange(0..<offset)
        offset = 0
        while buffer.count < count && position < end {
            let chunk = try file.read(at: position, count: Int(min(Int64(max(bufferSize, count - buffer.count)), end - position)))
            position += Int64(chunk.count)
            buffer.append(contentsOf: chunk)
        }
        return buffer.count >= count
    }

    mutating func next() throws -> SpilledOp? {
        guard try fill(4) else {
            guard buffer.count == offset else { throw SpillFile.damaged("a spilled run ends inside an operation") }
            return nil
        }
        var prefix = BinaryReader(buffer, offset: offset, end: offset + 4)
        let length = Int(try prefix.u32be())
        guard try fill(4 + length) else { throw SpillFile.damaged("a spilled run ends inside an operation") }
        let op = try SpilledOp.decode(buffer, at: offset + 4, length: length)
        offset += 4 + length
        return op
    }
}

/// A binary min-heap of sources by their next operation's key; ties go to the older source, so
/// a record's operations keep their arrival order.
private struct MergeHeap {
    private var items: [(key: (UInt8, RecordID), source: Int)] = []

    private func less(_ a: Int, _ b: Int) -> Bool {
        let x = items[a], y = items[b]
        return x.key.0 != y.key.0 ? x.key.0 < y.key.0 : x.key.1 != y.key.1 ? x.key.1 < y.key.1 : x.source < y.source
    }

    mutating func push(_ key: (UInt8, RecordID), source: Int) {
        items.append((key, source))
        var i = items.count - 1
        while i > 0, less(i, (i - 1) / 2) {
            items.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    mutating func pop() -> Int? {
        guard let top = items.first else { return nil }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count, less(l, smallest) { smallest = l }
            if r < items.count, less(r, smallest) { smallest = r }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
        return top.source
    }
}

/// A temporary file in the replica's folder, unlinked as soon as it is made: nothing is left
/// behind if the process dies, and it holds only copies of operations already in the log.
private final class SpillFile: @unchecked Sendable {  // used by one thread at a time
    let fd: Int32
    private(set) var size: Int64 = 0

    static func damaged(_ why: String) -> ReplicaError {
        ReplicaError(.storage, "the merge's spill file is damaged: \(why)", hint: "nothing was applied; try again, and check the disk")
    }

    init(in folder: String) throws {
        var template = Array("\(folder)/.merge-spill-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw ReplicaError(.storage, "cannot make the merge's spill file in \(folder): \(String(cString: strerror(errno)))", hint: "check the folder's permissions and free space")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
    }

    deinit { close(fd) }

    func append(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(size) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw ReplicaError(.storage, "cannot write the merge's spill file: \(String(cString: strerror(errno)))", hint: "free some disk space and try again; nothing was applied")
            }
            done += n
        }
        size += Int64(bytes.count)
    }

    func read(at position: Int64, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(position) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Self.damaged(n == 0 ? "it ends early" : String(cString: strerror(errno))) }
            done += n
        }
        return out
    }
}

/// A bounded queue from one producing thread to one consuming thread, which either may end.
private final class Handoff<Item: Sendable>: @unchecked Sendable {  // every field under `condition`
    private let condition = NSCondition()
    private let capacity: Int
    private var items: [Item] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false

    init(capacity: Int) { self.capacity = capacity }

    /// The producer's next item: waits for room; false once the consumer has gone.
    func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The producer is done, with the error that stopped it if any.
    func finish(_ error: (any Error)?) {
        condition.lock()
        defer { condition.unlock() }
        finished = true
        failure = error
        condition.broadcast()
    }

    /// The consumer's next item; nil at the end; the producer's error once its items are taken.
    func take() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished { condition.wait() }
        if !items.isEmpty {
            condition.broadcast()
            return items.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }

    /// The consumer is done: the producer stops at its next item, and this waits until it has.
    func cancelAndWait() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        items.removeAll()
        condition.broadcast()
        while !finished { condition.wait() }
    }
}
