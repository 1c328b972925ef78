#if canImport(Glibc)
import Glibc
#endif
import ReplicaTesting
import Testing

@testable import Replica

/// `MergeQueue` alone: the order it hands operations to the merge in, how it cuts chunks, and
/// that spilling runs to disk changes neither.
@Suite("Merge queue") struct MergeQueueTests {
    static func origin(_ n: Int) -> OriginInfo {
        OriginInfo(
            idx: Int64(n), origin: ID128(high: UInt64(n), low: 7), node: ID128(high: 100 + UInt64(n), low: 0), publicKey: [UInt8(n)], name: "desk \(n)",
            role: .stafTI, court: "PN Test", maxSeq: 0, headHash: [])
    }

    /// Random operations of three origins over a few records, with some that name no record.
    static func workload(seed: UInt64, count: Int) -> [(Operation, OriginInfo)] {
        var rng = SplitMix64(seed: seed)
        let origins = (1...3).map(origin)
        let records = (0..<12).map { _ in ID128(high: rng.next(), low: rng.next()) }
        var seqs = [UInt64](repeating: 0, count: origins.count)
        return (0..<count).map { i in
            let o = rng.below(origins.count)
            seqs[o] += 1
            let body: OperationBody =
                rng.chance(10)
                ? .setting(CourtSetting(key: "zone", value: rng.pick(["WIB", "WITA", "WIT"])))
                : .set(record: rng.pick(records), field: .title, value: "judul \(i) " + String(repeating: "x", count: rng.below(60)), replaces: [])
            return (Operation(origin: origins[o].origin, seq: seqs[o], hlc: HLC(raw: UInt64(1_000 + i) << 16), author: "", body: body), origins[o])
        }
    }

    /// What `drain` hands over, chunk by chunk, as (record, origin, seq).
    static func queue(_ ops: [(Operation, OriginInfo)], queueBytes: Int?, folder: String) throws -> MergeQueue {
        var queue = MergeQueue()
        for (op, info) in ops {
            queue.append(op, payload: op.encodePayload(), origin: MergeOrigin(info), reserving: 4096)
            if let queueBytes, queue.footprint >= queueBytes { try queue.spillRun(in: folder) }
        }
        return queue
    }

    static func drained(_ ops: [(Operation, OriginInfo)], queueBytes: Int?, chunkLimit: Int, threadFrom: Int = .max, folder: String) throws -> [[String]] {
        var queue = try queue(ops, queueBytes: queueBytes, folder: folder)
        var chunks: [[String]] = []
        try queue.drain(chunkLimit: chunkLimit, threadFrom: threadFrom) { chunk in
            chunks.append(chunk.map { "\($0.op.body.record?.hex ?? "-") \($0.op.origin.hex) \($0.op.seq)" })
        }
        return chunks
    }

    static func names(in folder: String) -> [String] {
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var out: [String] = []
        while let entry = readdir(dir) {
            out.append(withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
        }
        return out
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func recordOrderChunksAndSpillsAgree(seed: UInt64) throws {
        let sandbox = try Sandbox("sinkron-queue")
        defer { sandbox.remove() }
        let ops = Self.workload(seed: seed, count: 400)
        let chunkLimit = 1 + Int(seed % 4) * 9
        let inMemory = try Self.drained(ops, queueBytes: nil, chunkLimit: chunkLimit, folder: sandbox.root)
        let flat = inMemory.flatMap { $0 }
        // Everything, once: first what names no record in arrival order, then by record id, each
        // record's in arrival order.
        let expected = ops.enumerated().sorted { a, b in
            let (x, y) = (a.element.0.body.record, b.element.0.body.record)
            if x != y { return x == nil ? true : y == nil ? false : x! < y! }
            return a.offset < b.offset
        }.map { "\($0.element.0.body.record?.hex ?? "-") \($0.element.0.origin.hex) \($0.element.0.seq)" }
        #expect(flat == expected)
        // Chunks: the operations without a record alone; a record's never split; a chunk ends
        // only when it holds the limit.
        var seen: [String: Int] = [:]
        for (i, chunk) in inMemory.enumerated() {
            let records = chunk.map { String($0.prefix { $0 != " " }) }
            #expect(records.allSatisfy { $0 == "-" } || !records.contains("-"))
            for record in Set(records) where record != "-" {
                #expect(seen[record] == nil, "record \(record) in chunks \(seen[record] ?? -1) and \(i)")
                seen[record] = i
            }
            if i < inMemory.count - 1 && !records.contains("-") { #expect(chunk.count >= chunkLimit) }
        }
        // Spilling runs of any size, and handing chunks over from a second thread, give the same
        // operations in the same chunks.
        for queueBytes in [nil, 1, 700, 5_000] {
            for threadFrom in [Int.max, 0, 200] where queueBytes != nil || threadFrom != .max {
                #expect(
                    try Self.drained(ops, queueBytes: queueBytes, chunkLimit: chunkLimit, threadFrom: threadFrom, folder: sandbox.root) == inMemory,
                    "queue of \(queueBytes ?? 0) bytes, thread from \(threadFrom)")
            }
        }
        // The spill file is unlinked as soon as it is made: nothing is left in the folder.
        let names = Self.names(in: sandbox.root)
        #expect(names.contains("."))
        #expect(names.filter { $0.hasPrefix(".merge-spill") }.isEmpty)
    }

    struct Stop: Error, Equatable {}

    /// A merge that fails stops the drain, second thread and all: the error comes out of
    /// `drain` (which would hang if the thread were left waiting to hand over its next chunk),
    /// and no chunk is merged after it.
    @Test(arguments: [false, true])
    func aFailingMergeStopsTheDrain(spilled: Bool) throws {
        let sandbox = try Sandbox("sinkron-queue")
        defer { sandbox.remove() }
        let ops = Self.workload(seed: 9, count: 400)
        for failAt in [0, 1, 3] {
            var queue = try Self.queue(ops, queueBytes: spilled ? 700 : nil, folder: sandbox.root)
            var merged = 0
            #expect(throws: Stop.self) {
                try queue.drain(chunkLimit: 5, threadFrom: 0) { _ in
                    if merged == failAt { throw Stop() }
                    merged += 1
                }
            }
            #expect(merged == failAt)
            #expect(queue.isEmpty, "the queue lets everything go")
        }
    }
}
