import Foundation
import Synchronization

/// One operation as the log holds it: its seq and clock, its payload as signed (the codec of
/// `Operation`), its signature if the origin signed here, the merge session that brought it (nil:
/// written here) and local flags (`OperationFlags`).
package struct LogEntry: Equatable, Sendable {
    package var seq: UInt64
    package var hlc: UInt64
    package var body: [UInt8]
    package var signature: [UInt8]?
    package var session: Int64?
    package var flags: Int64

    package init(seq: UInt64, hlc: UInt64, body: [UInt8], signature: [UInt8]?, session: Int64?, flags: Int64) {
        self.seq = seq
        self.hlc = hlc
        self.body = body
        self.signature = signature
        self.session = session
        self.flags = flags
    }
}

/// The operation log lives in two tables (Schema): `op_runs`, where each row packs
/// `operationsPerRun` consecutive operations of one origin into one Zstandard frame, and `ops`,
/// a row per operation for each origin's tail beyond its last packed run (a desk's latest writes,
/// a small sync). For each origin the runs hold seqs 1…P without a gap and the rows P+1…head.
///
/// Packed, an operation takes about 35 bytes instead of about 95 as a row: its 16-byte record
/// and origin ids still cost what they cost, but the B-tree's keys, cell headers and the
/// repeated clock prefix go. Runs are immutable; a revocation that cuts an origin back unpacks
/// the run it cuts into rows.
package enum OperationLog {
    /// Operations per packed run: about 2 KB compressed, so a 16 KiB page holds seven.
    package static let operationsPerRun = 64

    /// The largest decoded run a reader accepts (a packed run's operations are bounded by the
    /// codec's own limits; this guards the allocation against a damaged length).
    static let maxPlainRun = 64 << 20

    private static let plain: UInt8 = 0
    private static let compressed: UInt8 = 1

    /// A run's blob: a format byte, the plain length and the plain encoding, compressed when that
    /// is shorter. The plain encoding holds per operation, seq implied: the clock's difference to
    /// the previous one (zigzag), the body, the signature (empty: none), session + 1 (0: none) and
    /// the flags.
    static func encode(_ entries: ArraySlice<LogEntry>, with compressor: ZstdCompressor) -> [UInt8] {
        var w = BinaryWriter(capacity: entries.count * 72)
        var previous: UInt64 = 0
        for e in entries {
            let delta = Int64(bitPattern: e.hlc &- previous)
            w.varint(UInt64(bitPattern: (delta << 1) ^ (delta >> 63)))
            previous = e.hlc
            w.data(e.body)
            w.data(e.signature ?? [])
            w.varint(e.session.map { UInt64(bitPattern: $0) &+ 1 } ?? 0)
            w.varint(UInt64(bitPattern: e.flags))
        }
        var out = BinaryWriter(capacity: w.bytes.count / 2 + 16)
        if let packed = compressor.compress(w.bytes, 0..<w.bytes.count) {
            out.u8(compressed)
            out.varint(UInt64(w.bytes.count))
            out.raw(packed)
        } else {
            out.u8(plain)
            out.varint(UInt64(w.bytes.count))
            out.raw(w.bytes)
        }
        return out.bytes
    }

    /// The operations `firstSeq…lastSeq` from a run's blob; throws when it is damaged.
    static func decode(_ blob: [UInt8], firstSeq: UInt64, lastSeq: UInt64) throws -> [LogEntry] {
        guard lastSeq >= firstSeq, lastSeq - firstSeq < UInt64(maxPlainRun) else { throw CodecError.malformed("a run of seqs \(firstSeq)…\(lastSeq)") }
        var r = BinaryReader(blob)
        let format = try r.u8()
        let length = try r.varint()
        guard length <= UInt64(maxPlainRun) else { throw CodecError.malformed("a run announces \(length) bytes") }
        let bytes: [UInt8]
        switch format {
        case plain:
            bytes = Array(try r.raw(Int(length)))
            guard r.offset == r.end else { throw CodecError.malformed("bytes after a run") }
        case compressed:
            switch Zstd.expand(blob, r.offset..<r.end, length: Int(length)) {
            case .success(let expanded): bytes = expanded
            case .failure(let error): throw CodecError.malformed("a packed run \(error.reason)")
            }
        default:
            throw CodecError.malformed("a run of unknown format \(format)")
        }
        var p = BinaryReader(bytes)
        var entries: [LogEntry] = []
        entries.reserveCapacity(Int(lastSeq - firstSeq + 1))
        var hlc: UInt64 = 0
        for seq in firstSeq...lastSeq {
            let zigzag = try p.varint()
            hlc &+= UInt64(bitPattern: Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1))
            let body = try p.data(limit: maxPlainRun)
            let signature = try p.data(limit: maxPlainRun)
            let session = try p.varint()
            let flags = try p.varint()
            entries.append(
                LogEntry(
                    seq: seq, hlc: hlc, body: body, signature: signature.isEmpty ? nil : signature,
                    session: session == 0 ? nil : Int64(bitPattern: session &- 1), flags: Int64(bitPattern: flags)))
        }
        guard p.offset == p.end else { throw CodecError.malformed("bytes after a run's operations") }
        return entries
    }
}

/// Reads the log, rows and packed runs alike, inside the caller's transaction. A reader keeps
/// the last run it unpacked, so lookups in seq order unpack each run once; make one per task.
package struct LogReader {
    let db: Database
    private var run: (idx: Int64, entries: [LogEntry])?

    package init(_ db: Database) { self.db = db }

    /// The operation `seq` of origin `idx`, or nil when the log does not hold it.
    package mutating func entry(origin idx: Int64, seq: UInt64) throws -> LogEntry? {
        if let run, run.idx == idx, let first = run.entries.first, seq >= first.seq, seq - first.seq < UInt64(run.entries.count) {
            return run.entries[Int(seq - first.seq)]
        }
        let row = try db.cached("SELECT hlc, body, sig, session, flags FROM ops WHERE origin_idx = ? AND seq = ?")
            .bind(.int(idx), .int(Int64(bitPattern: seq))).first(Self.entry(seq: seq))
        if let row { return row }
        let packed = try db.cached("SELECT first_seq, last_seq, ops FROM op_runs WHERE origin_idx = ? AND last_seq >= ? ORDER BY last_seq LIMIT 1")
            .bind(.int(idx), .int(Int64(bitPattern: seq))).first { try Self.unpack($0) }
        guard let packed, let first = packed.first, seq >= first.seq else { return nil }
        run = (idx, packed)
        return packed[Int(seq - first.seq)]
    }

    /// Calls `body` with origin `idx`'s operations from `seq` on, in seq order, until it returns
    /// false: the packed runs, then the rows beyond them.
    package func scan(origin idx: Int64, from seq: UInt64 = 1, _ body: (LogEntry) throws -> Bool) throws {
        var next = seq
        var going = true
        try db.prepare("SELECT first_seq, last_seq, ops FROM op_runs WHERE origin_idx = ? AND last_seq >= ? ORDER BY last_seq")
            .bind(.int(idx), .int(Int64(bitPattern: seq))).scan { row in
                for entry in try Self.unpack(row) where entry.seq >= next {
                    guard try body(entry) else {
                        going = false
                        return false
                    }
                    next = entry.seq + 1
                }
                return true
            }
        guard going else { return }
        try db.prepare("SELECT seq, hlc, body, sig, session, flags FROM ops WHERE origin_idx = ? AND seq >= ? ORDER BY seq")
            .bind(.int(idx), .int(Int64(bitPattern: next))).scan { try body(Self.row($0)) }
    }

    /// Every operation of origin `idx` from `seq` on, in seq order.
    package func entries(origin idx: Int64, from seq: UInt64 = 1) throws -> [LogEntry] {
        var out: [LogEntry] = []
        try scan(origin: idx, from: seq) {
            out.append($0)
            return true
        }
        return out
    }

    /// A row of `SELECT seq, hlc, body, sig, session, flags FROM ops`.
    static func row(_ row: Row) -> LogEntry { entry(seq: UInt64(bitPattern: row.int(0)), offset: 1)(row) }

    private static func entry(seq: UInt64, offset: Int32 = 0) -> (Row) -> LogEntry {
        { row in
            LogEntry(
                seq: seq, hlc: UInt64(bitPattern: row.int(offset)), body: row.blob(offset + 1),
                signature: row.isNull(offset + 2) ? nil : row.blob(offset + 2), session: row.optionalInt(offset + 3), flags: row.int(offset + 4))
        }
    }

    static func unpack(_ row: Row) throws -> [LogEntry] {
        let first = UInt64(bitPattern: row.int(0))
        let last = UInt64(bitPattern: row.int(1))
        do {
            return try OperationLog.decode(row.blob(2), firstSeq: first, lastSeq: last)
        } catch {
            throw ReplicaError(
                .storage, "the log's packed run of seqs \(first)…\(last) is damaged: \(error)",
                hint: "run `sinkron verify`; restore the replica from a backup or sync it again into a new home")
        }
    }
}

/// Appends to the log inside the caller's transaction: operations are gathered per origin and,
/// on `flush`, written as packed runs where they (with the origin's unpacked tail) fill one, the
/// rest as rows. Readers of the log must be preceded by `flush`.
///
/// A bulk append (many runs at once) has its runs encoded and compressed on a second thread
/// while the caller goes on verifying the next operations; they are inserted on the caller's
/// thread as they are ready, and all of them by `flush`.
final class LogWriter {
    private let db: Database
    private let rows: RowBuffer
    private let compressor = ZstdCompressor()
    private let encoder = RunEncoder()
    private var staged: [LogEntry] = []
    private var stagedOrigin: Int64 = 0
    /// Per origin seen: how many operations it holds as rows, and from which seq.
    private var tails: [Int64: (first: UInt64, count: Int)] = [:]

    /// Operations per packed run (`OperationLog.operationsPerRun`; smaller in tests, so that a
    /// short log is packed, repacked and cut too).
    private let perRun: Int

    init(_ db: Database, perRun: Int = OperationLog.operationsPerRun) throws {
        self.db = db
        self.perRun = max(1, perRun)
        rows = try RowBuffer(db, table: "ops", columns: ["origin_idx", "seq", "hlc", "body", "sig", "session", "flags"])
    }

    /// Gathers the next operation of origin `idx` (seqs of one origin come in order).
    func append(origin idx: Int64, _ entry: LogEntry) throws {
        if idx != stagedOrigin || staged.count >= 16 * perRun { try flush(waiting: false) }
        stagedOrigin = idx
        staged.append(entry)
    }

    /// Writes what is gathered and, `waiting`, every run still being encoded (readers need that).
    func flush(waiting: Bool = true) throws {
        if !staged.isEmpty {
            defer { staged.removeAll(keepingCapacity: true) }
            try write(origin: stagedOrigin, staged)
        }
        try insertEncoded(waiting: waiting)
    }

    /// Inserts the runs the encoder has finished (with `waiting`, all it was given).
    private func insertEncoded(waiting: Bool) throws {
        for run in encoder.finished(waiting: waiting) { try insertRun(origin: run.origin, first: run.first, last: run.last, blob: run.blob) }
    }

    /// Packs what of origin `idx`'s rows fills whole runs (schema 2's migration), 16,384 rows
    /// at a time: a schema-1 log may hold millions. Rows with a gap before them stay rows.
    func packTail(origin idx: Int64) throws {
        let select = try db.prepare("SELECT seq, hlc, body, sig, session, flags FROM ops WHERE origin_idx = ? AND seq >= ? ORDER BY seq LIMIT 16384")
        var from: UInt64 = 0
        while true {
            var slice: [LogEntry] = []
            try select.bind(.int(idx), .int(Int64(bitPattern: from))).forEach { slice.append(LogReader.row($0)) }
            select.reset()
            var whole = 0
            while whole + perRun <= slice.count, slice[whole + perRun - 1].seq == slice[whole].seq + UInt64(perRun) - 1 {
                try insertRun(origin: idx, slice[whole..<(whole + perRun)])
                whole += perRun
            }
            guard whole > 0 else { break }
            try db.cached("DELETE FROM ops WHERE origin_idx = ? AND seq BETWEEN ? AND ?")
                .bind(.int(idx), .int(Int64(bitPattern: slice[0].seq)), .int(Int64(bitPattern: slice[whole - 1].seq))).run()
            guard whole == slice.count, slice.count == 16384 else { break }
            from = slice[whole - 1].seq + 1
        }
        tails[idx] = nil
    }

    /// Writes origin `idx`'s next operations `new`: packed, with the rows of its tail, into as
    /// many whole runs as they fill; the rest as rows.
    private func write(origin idx: Int64, _ new: [LogEntry]) throws {
        var tail = try tails[idx] ?? storedTail(idx)
        let afterTail = tail.first + UInt64(tail.count)
        var entries = ArraySlice(new)
        // Packs only a contiguous tail: anything else is damage that `verify` must still see.
        if tail.count + new.count >= perRun, tail.count == 0 || (new.first.map { $0.seq == afterTail } ?? true) {
            if tail.count > 0 {
                let held = try LogReader(db).entries(origin: idx, from: tail.first)
                guard held.count == tail.count, held.first?.seq == tail.first, held.last?.seq == afterTail - 1 else {
                    throw ReplicaError(.storage, "the log's rows of origin \(idx) are not contiguous", hint: "run `sinkron verify`")
                }
                try db.cached("DELETE FROM ops WHERE origin_idx = ? AND seq >= ?").bind(.int(idx), .int(Int64(bitPattern: tail.first))).run()
                entries = ArraySlice(held + new)
            }
            var runs: [ArraySlice<LogEntry>] = []
            while entries.count >= perRun {
                runs.append(entries.prefix(perRun))
                entries = entries.dropFirst(perRun)
            }
            if runs.count >= RunEncoder.fromRuns {
                encoder.encode(origin: idx, runs)
                try insertEncoded(waiting: false)
            } else {
                for run in runs { try insertRun(origin: idx, run) }
            }
            tail = (0, 0)
        }
        for e in entries {
            rows.put(.int(idx))
            rows.put(.int(Int64(bitPattern: e.seq)))
            rows.put(.int(Int64(bitPattern: e.hlc)))
            rows.put(.blob(e.body))
            rows.put(e.signature.map { .blob($0) } ?? .null)
            rows.put(e.session.map { .int($0) } ?? .null)
            rows.put(.int(e.flags))
            try rows.endRow()
        }
        try rows.flush()
        if tail.count == 0 { tail.first = entries.first?.seq ?? 0 }
        tail.count += entries.count
        tails[idx] = tail
    }

    /// Writes one packed run of consecutive operations of origin `idx`.
    private func insertRun(origin idx: Int64, _ run: ArraySlice<LogEntry>) throws {
        guard let first = run.first, let last = run.last else { return }
        try insertRun(origin: idx, first: first.seq, last: last.seq, blob: OperationLog.encode(run, with: compressor))
    }

    private func insertRun(origin idx: Int64, first: UInt64, last: UInt64, blob: [UInt8]) throws {
        try db.cached("INSERT INTO op_runs(origin_idx, last_seq, first_seq, ops) VALUES (?, ?, ?, ?)")
            .bind(.int(idx), .int(Int64(bitPattern: last)), .int(Int64(bitPattern: first)), .blob(blob)).run()
    }

    /// The origin's tail as the table holds it: its first seq and how many rows.
    private func storedTail(_ idx: Int64) throws -> (first: UInt64, count: Int) {
        try db.cached("SELECT coalesce(min(seq), 0), count(*) FROM ops WHERE origin_idx = ?").bind(.int(idx))
            .first { (UInt64(bitPattern: $0.int(0)), Int($0.int(1))) } ?? (0, 0)
    }

    /// Forgets what it knows of the tables' tails (after something else changed them).
    func forgetTails() { tails.removeAll() }
}

/// Encodes packed runs on a thread of its own (a serial queue with its own compressor), for
/// `LogWriter`; hands them back in the order given.
private final class RunEncoder: Sendable {
    /// From this many runs in one write, they are encoded here rather than by the writer.
    static let fromRuns = 4

    struct Encoded: Sendable {
        var origin: Int64
        var first: UInt64
        var last: UInt64
        var blob: [UInt8]
    }

    private let queue = DispatchQueue(label: "sinkron.log-runs")
    private let pending = DispatchGroup()
    private let done = Mutex<[Encoded]>([])
    private let compressor = UncheckedCompressor()

    /// The compressor, used only on `queue`.
    private final class UncheckedCompressor: @unchecked Sendable {
        let zstd = ZstdCompressor()
    }

    func encode(origin: Int64, _ runs: [ArraySlice<LogEntry>]) {
        queue.async(group: pending) { [self] in
            let encoded = runs.map { run in
                Encoded(origin: origin, first: run.first!.seq, last: run.last!.seq, blob: OperationLog.encode(run, with: compressor.zstd))
            }
            done.withLock { $0.append(contentsOf: encoded) }
        }
    }

    /// The runs encoded so far, taken; with `waiting`, after every one given is done.
    func finished(waiting: Bool) -> [Encoded] {
        if waiting { pending.wait() }
        return done.withLock { taken in
            defer { taken.removeAll() }
            return taken
        }
    }
}

extension OperationLog {
    /// Removes origin `idx`'s operations after `keep` (a revocation's cut); the run the cut falls
    /// in is unpacked, what it keeps becoming rows. Returns how many operations went.
    static func truncate(_ db: Database, origin idx: Int64, after keep: UInt64) throws -> Int {
        try db.cached("DELETE FROM ops WHERE origin_idx = ? AND seq > ?").bind(.int(idx), .int(Int64(bitPattern: keep))).run()
        var removed = db.changes
        var kept: [LogEntry] = []
        try LogReader(db).scanRuns(origin: idx, after: keep) { entries in
            for entry in entries {
                if entry.seq > keep { removed += 1 } else { kept.append(entry) }
            }
        }
        try db.cached("DELETE FROM op_runs WHERE origin_idx = ? AND last_seq > ?").bind(.int(idx), .int(Int64(bitPattern: keep))).run()
        let insert = try db.cached("INSERT INTO ops(origin_idx, seq, hlc, body, sig, session, flags) VALUES (?, ?, ?, ?, ?, ?, ?)")
        for e in kept {
            try insert.bind(
                .int(idx), .int(Int64(bitPattern: e.seq)), .int(Int64(bitPattern: e.hlc)), .blob(e.body), e.signature.map { .blob($0) } ?? .null,
                e.session.map { .int($0) } ?? .null, .int(e.flags)
            ).run()
        }
        return removed
    }
}

extension LogReader {
    /// Calls `body` with each packed run of origin `idx` that holds a seq after `seq`, unpacked.
    func scanRuns(origin idx: Int64, after seq: UInt64, _ body: ([LogEntry]) throws -> Void) throws {
        try db.prepare("SELECT first_seq, last_seq, ops FROM op_runs WHERE origin_idx = ? AND last_seq > ? ORDER BY last_seq")
            .bind(.int(idx), .int(Int64(bitPattern: seq))).forEach { try body(Self.unpack($0)) }
    }
}
