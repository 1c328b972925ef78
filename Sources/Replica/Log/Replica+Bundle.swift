import Crypto
import Foundation

/// What a bundle file says about itself.
public struct BundleInfo: Sendable, Codable, Equatable {
    public var court: String
    /// The exporting court's root key (hex).
    public var courtRoot: String
    public var exporter: String
    public var operations: Int
    public var runs: Int
    public var bytes: Int
}

/// What `sinkron import` did.
public struct ImportReport: Sendable, Codable, Equatable {
    public var bundle: BundleInfo
    public var session: Int64
    public var report: ApplyReport
}

/// Bundles: the same signed runs as the wire, in a file, for flash-disk sync and backup.
///
/// Layout: magic `SINKRONB`, format version (3), court, court root (hex), exporter name, run
/// count, the runs as one stream of the compact run encoding (`OperationRun+Codec`), and a
/// SHA-256 of everything before it (a truncated or damaged file is refused before any check).
/// Formats 1 and 2 never left this repository and are not read.
public enum Bundle {
    static let magic = Array("SINKRONB".utf8)
    static let version: UInt8 = 3
    /// Largest bundle accepted (1 GiB).
    public static let maxBytes = 1 << 30

    public static func encode(court: String, root: String, exporter: String, runs: [OperationRun]) -> [UInt8] {
        var w = BinaryWriter(capacity: 1 << 16)
        w.raw(magic)
        w.u8(version)
        w.string(court)
        w.string(root)
        w.string(exporter)
        w.varint(UInt64(runs.count))
        var context = OperationRun.EncodingContext()
        for run in runs { run.encode(into: &w, context: &context) }
        w.raw(SHA256.hash(data: w.bytes))
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws -> (BundleInfo, [OperationRun]) {
        var runs: [OperationRun] = []
        let info = try forEachRun(bytes) { runs.append($0) }
        return (info, runs)
    }

    /// Checks the header and checksum, then hands over the runs one at a time.
    @discardableResult
    public static func forEachRun(_ bytes: [UInt8], _ body: (OperationRun) throws -> Void) throws -> BundleInfo {
        try check(bytes)
        var source = RunSource(buffer: bytes, bodyEnd: bytes.count - 32) { _ in nil }
        return try forEachRun(&source, size: bytes.count, body)
    }

    /// Like `forEachRun(_:_:)` for a bundle file whose checksum `checkChecksum` found right,
    /// read in chunks so that memory stays flat however large the file. `first` is the file's
    /// first chunk when the caller already read it (`firstChunk`).
    @discardableResult
    static func forEachRun(file: InputFile, first: [UInt8]? = nil, _ body: (OperationRun) throws -> Void) throws -> BundleInfo {
        var source = RunSource(buffer: try first ?? firstChunk(of: file), bodyEnd: file.size - 32) { offset in
            try file.read(at: offset, count: file.chunk)
        }
        return try forEachRun(&source, size: file.size, body)
    }

    /// The first read of a bundle file: it covers the header (court and exporter names are at
    /// most 256 bytes each).
    static func firstChunk(of file: InputFile) throws -> [UInt8] {
        try file.read(at: 0, count: max(file.chunk, 1024))
    }

    /// Court, exporter and run count, and where the runs start; `bytes` holds at least the header.
    static func header(_ bytes: [UInt8], bodyEnd: Int) throws -> (court: String, root: String, exporter: String, count: UInt64, end: Int) {
        var r = BinaryReader(bytes, offset: magic.count + 1, end: min(bytes.count, bodyEnd))
        do {
            let court = try r.string(limit: 256)
            let root = try r.string(limit: 128)
            let exporter = try r.string(limit: 256)
            let count = try r.varint()
            guard count <= UInt64(bodyEnd - r.offset) else { throw CodecError.malformed("run count \(count) exceeds the bundle") }
            return (court, root, exporter, count, r.offset)
        } catch let error as CodecError {
            throw ReplicaError(.badBundle, "the bundle is malformed: \(error)", hint: "nothing was imported; export it again")
        }
    }

    private static func forEachRun(_ source: inout RunSource, size: Int, _ body: (OperationRun) throws -> Void) throws -> BundleInfo {
        let (court, root, exporter, count, start) = try header(source.buffer, bodyEnd: source.bodyEnd)
        source.cursor = start
        var operations = 0
        var context = OperationRun.DecodingContext()
        for _ in 0..<count {
            let saved = context
            let run = try source.next { r in
                context = saved  // a retry after reading more starts from the context before this run
                return try OperationRun.decode(from: &r, context: &context)
            }
            operations += run.entries.count
            try body(run)
        }
        guard source.atEnd else {
            throw ReplicaError(.badBundle, "the bundle is malformed: \(source.remaining) trailing bytes", hint: "nothing was imported; export it again")
        }
        return BundleInfo(court: court, courtRoot: root, exporter: exporter, operations: operations, runs: Int(count), bytes: size)
    }

    /// Magic, version and checksum of a bundle held in memory.
    static func check(_ bytes: [UInt8]) throws {
        guard bytes.count >= magic.count + 1 + 32 else { throw notABundle }
        try checkHead(bytes)
        let body = bytes.count - 32
        guard Array(SHA256.hash(data: bytes[0..<body])) == Array(bytes[body...]) else { throw damaged }
    }

    /// Magic and format version, from the first bytes of a bundle.
    static func checkHead(_ bytes: [UInt8]) throws {
        guard bytes.count > magic.count, Array(bytes.prefix(magic.count)) == magic else { throw notABundle }
        guard bytes[magic.count] == version else {
            throw ReplicaError(.badBundle, "bundle format version \(bytes[magic.count]) is not supported (this program reads version \(version))", hint: "export it again with this sinkron, or update sinkron on this PC")
        }
    }

    static var notABundle: ReplicaError { ReplicaError(.badBundle, "this file is not a Sinkron bundle", hint: "bundles are written by `sinkron export`") }
    static var damaged: ReplicaError {
        ReplicaError(.badBundle, "the bundle is damaged or truncated (its checksum does not match)", hint: "copy it again from the exporting PC")
    }
}

/// The body of a bundle, held a window at a time: runs are decoded from `buffer` at `cursor`; a run
/// that does not fit (any decode error before the end of the body) is tried again after `more`
/// appends the next chunk, so a run of any size is read whole and memory stays near one chunk.
struct RunSource {
    var buffer: [UInt8]
    /// The offset in the file of `buffer[0]`, and where the runs end (the checksum follows).
    var base = 0
    let bodyEnd: Int
    var cursor = 0
    let more: (Int) throws -> [UInt8]?

    init(buffer: [UInt8], bodyEnd: Int, more: @escaping (Int) throws -> [UInt8]?) {
        self.buffer = buffer
        self.bodyEnd = bodyEnd
        self.more = more
    }

    private var end: Int { min(buffer.count, bodyEnd - base) }
    private var holdsAll: Bool { base + buffer.count >= bodyEnd }
    var atEnd: Bool { holdsAll && cursor >= end }
    var remaining: Int { bodyEnd - base - cursor }

    mutating func next<T>(_ decode: (inout BinaryReader) throws -> T) throws -> T {
        while true {
            do {
                var r = BinaryReader(buffer, offset: cursor, end: end)
                let value = try decode(&r)
                cursor = r.offset
                return value
            } catch let error as CodecError {
                guard !holdsAll, let chunk = try more(base + buffer.count), !chunk.isEmpty else {
                    throw ReplicaError(.badBundle, "the bundle is malformed: \(error)", hint: "nothing was imported; export it again")
                }
                var next = [UInt8]()
                next.reserveCapacity(buffer.count - cursor + chunk.count)
                next.append(contentsOf: buffer[cursor...])
                next.append(contentsOf: chunk)
                base += cursor
                cursor = 0
                buffer = next
            }
        }
    }
}

/// A file open for reading, whole or in chunks (bundles, invitations).
final class InputFile {
    let path: String
    let fd: Int32
    let size: Int
    /// Bytes read at a time (4 MiB; tests use tiny chunks to cut runs at every byte).
    let chunk: Int

    init(_ path: String, chunk: Int = 4 << 20, limit: Int = Bundle.maxBytes) throws {
        self.path = path
        self.chunk = max(1, chunk)
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ReplicaError(.notFound, "cannot read \(path)", hint: "check the path") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            Glibc.close(fd)
            throw ReplicaError(.notFound, "cannot read \(path)", hint: "check the path")
        }
        size = Int(st.st_size)
        if st.st_mode & S_IFMT == S_IFDIR {
            Glibc.close(fd)
            throw ReplicaError(.invalidInput, "\(path) is a folder, not a file", hint: "give the file's path")
        }
        if size > limit {
            Glibc.close(fd)
            throw ReplicaError(.badBundle, "\(path) is \(size) bytes; at most \(limit) are accepted")
        }
    }

    func close() { Glibc.close(fd) }

    /// Up to `count` bytes from `offset` (fewer at the end of the file).
    func read(at offset: Int, count: Int) throws -> [UInt8] {
        let wanted = max(0, min(count, size - offset))
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: wanted) { buffer, n in
            n = 0
            while n < wanted {
                let got = pread(fd, buffer.baseAddress! + n, wanted - n, off_t(offset + n))
                if got < 0 && errno == EINTR { continue }
                if got <= 0 {
                    failed = got < 0
                    break
                }
                n += got
            }
        }
        guard !failed else { throw ReplicaError(.storage, "cannot read \(path): \(String(cString: strerror(errno)))", hint: "check the file") }
        return bytes
    }

    /// Magic, version and the SHA-256 at the end, as `Bundle.check` does for a bundle in memory.
    func checkChecksum() throws {
        guard size >= Bundle.magic.count + 1 + 32 else { throw Bundle.notABundle }
        try Bundle.checkHead(try read(at: 0, count: Bundle.magic.count + 1))
        var hasher = SHA256()
        var offset = 0
        while offset < size - 32 {
            let chunk = try read(at: offset, count: min(self.chunk, size - 32 - offset))
            guard !chunk.isEmpty else { break }
            hasher.update(data: chunk)
            offset += chunk.count
        }
        guard Array(hasher.finalize()) == (try read(at: size - 32, count: 32)) else { throw Bundle.damaged }
    }
}

extension Replica {
    /// Streams the operations `since` lacks, per origin in seq order, as runs that each end at a
    /// signed operation and hold about `runSize` operations (the sync protocol's batches).
    public func missingRuns(since: VersionVector, runSize: Int = 10_000, _ body: (OperationRun) throws -> Void) throws {
        var cursor = since
        while true {
            let batch = try nextBatch(after: cursor, maxOperations: runSize)
            if batch.isEmpty { return }
            for run in batch {
                try body(run)
                cursor[run.origin] = run.lastSeq
            }
        }
    }

    /// Writes a bundle of what `since` lacks (everything when nil) to `path`, atomically.
    @discardableResult
    public func exportBundle(to path: String, since: VersionVector? = nil, force: Bool = false) throws -> BundleInfo {
        let target = try OutputTarget(path, force: force, replicaHome: home)
        var runs: [OperationRun] = []
        try missingRuns(since: since ?? VersionVector()) { runs.append($0) }
        let bytes = Bundle.encode(court: identity.court, root: courtRoot ?? "", exporter: identity.name, runs: runs)
        try target.write(bytes)
        return BundleInfo(court: identity.court, courtRoot: courtRoot ?? "", exporter: identity.name, operations: runs.reduce(0) { $0 + $1.entries.count }, runs: runs.count, bytes: bytes.count)
    }

    /// Reads, verifies and applies a bundle. Importing the same bundle twice, or bundles in any
    /// order, is harmless. The import is logged as a merge session.
    public func importBundle(from path: String) throws -> ImportReport {
        let file = try InputFile(path)
        defer { file.close() }
        try file.checkChecksum()
        // The first chunk serves the court check and then the decoding (handed over, not kept).
        var first: [UInt8]? = try Bundle.firstChunk(of: file)
        let header = try Bundle.header(first ?? [], bodyEnd: file.size - 32)
        try checkSameCourt(name: header.court, root: header.root, what: "the bundle")
        let session = try beginSession(kind: "import", peer: nil, address: path)
        do {
            var info: BundleInfo?
            let report = try applyStream(session: session) { consume in
                info = try Bundle.forEachRun(file: file, first: first.take(), consume)
            }
            guard let info else { throw ReplicaError(.badBundle, "the bundle could not be read") }
            try endSession(session, received: report.appliedTotal, conflicts: report.conflicts, bytesIn: file.size, outcome: report.forks.isEmpty ? "ok" : "fork refused", detail: report, peer: info.exporter)
            // A bulk merge folds its WAL into the database now, in the command that wrote it,
            // rather than leaving up to 1,000 pages for the next desk command's commit (SQLite
            // checkpoints past 1,000 pages, and no command checkpoints when it exits), and
            // leaves no WAL on disk: it would hold a megabyte of pages already folded.
            db.truncateWALIfIdle()
            return ImportReport(bundle: info, session: session, report: report)
        } catch {
            try? endSession(session, received: 0, conflicts: 0, bytesIn: file.size, outcome: "refused: \(error)", detail: nil as ApplyReport?)
            throw error
        }
    }

    /// Refuses what comes from another court: another name, or another root (an outsider's
    /// court of the same name), or no root at all. Both courts are named by name and root
    /// fingerprint.
    public func checkSameCourt(name: String, root: String, what: String) throws {
        let ours = courtRoot ?? ""
        if name == identity.court && !root.isEmpty && root == ours { return }
        let theirs = root.isEmpty ? "" : " (root \(Self.fingerprint(root)))"
        throw ReplicaError(
            .wrongCourt,
            "\(what) comes from court \"\(name)\"\(theirs); this replica belongs to \"\(identity.court)\" (root \(Self.fingerprint(ours)))",
            hint: name == identity.court
                ? "nothing was imported: a court of the same name with another root is another court, whoever made it" : "nothing was imported; bundles move only within one court")
    }

    // MARK: Sessions

    /// Opens a merge-session row (own transaction) and returns its id.
    public func beginSession(kind: String, peer: String?, address: String?, startedAt: UInt64? = nil) throws -> Int64 {
        try storage {
            try db.transaction {
                try db.cached("INSERT INTO sessions(kind, peer, address, started_at) VALUES (?,?,?,?)")
                    .bind(.text(kind), .optional(peer), .optional(address), .int(Int64(startedAt ?? clock.now()))).run()
                return db.lastInsertRowID
            }
        }
    }

    /// Closes a merge-session row. A `detail` that encodes `receivedByOrigin` (or, as an
    /// `ApplyReport` does, `applied`) and `sentByOrigin`, objects of origin (hex) → operations, is
    /// what `SessionEntry.traffic` shows per origin.
    public func endSession<Detail: Encodable>(
        _ id: Int64, received: Int, sent: Int = 0, conflicts: Int, bytesIn: Int = 0, bytesOut: Int = 0, outcome: String, detail: Detail?, peer: String? = nil
    ) throws {
        let json = try detail.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        try storage {
            try db.transaction {
                try db.cached(
                    "UPDATE sessions SET ended_at = ?, received = ?, sent = ?, conflicts = ?, bytes_in = ?, bytes_out = ?, outcome = ?, detail = ?, peer = coalesce(?, peer) WHERE id = ?"
                ).bind(
                    .int(Int64(clock.now())), .int(Int64(received)), .int(Int64(sent)), .int(Int64(conflicts)), .int(Int64(bytesIn)),
                    .int(Int64(bytesOut)), .text(outcome), .optional(json), .optional(peer), .int(id)
                ).run()
            }
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }
}

/// Reads a whole file, refusing files larger than `limit`.
func readFile(_ path: String, limit: Int) throws -> [UInt8] {
    let file = try InputFile(path, limit: limit)
    defer { file.close() }
    return try file.read(at: 0, count: file.size)
}
