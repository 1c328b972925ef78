import Crypto
import Foundation

/// What a bundle file says about itself.
public struct BundleInfo: Sendable, Codable, Equatable {
    public var court: String
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
/// Layout: magic `SINKRONB`, format version, court, exporter name, run count, runs, and a
/// SHA-256 of everything before it (a truncated or damaged file is refused before any check).
/// Version 2 writes the runs as one stream of the compact run encoding (`OperationRun+Codec`);
/// version 1 bundles (each payload as is) are still read.
public enum Bundle {
    static let magic = Array("SINKRONB".utf8)
    static let version: UInt8 = 2
    static let readableVersions: ClosedRange<UInt8> = 1...2
    /// Largest bundle accepted (1 GiB).
    public static let maxBytes = 1 << 30

    public static func encode(court: String, exporter: String, runs: [OperationRun]) -> [UInt8] {
        var w = BinaryWriter(capacity: 1 << 16)
        w.raw(magic)
        w.u8(version)
        w.string(court)
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
        var r = try open(bytes)
        let format = bytes[magic.count]
        let court: String
        let exporter: String
        let count: UInt64
        do {
            court = try r.string(limit: 256)
            exporter = try r.string(limit: 256)
            count = try r.varint()
            guard count <= UInt64(r.remaining) else { throw CodecError.malformed("run count \(count) exceeds the bundle") }
        } catch let error as CodecError {
            throw ReplicaError(.badBundle, "the bundle is malformed: \(error)", hint: "nothing was imported; export it again")
        }
        var operations = 0
        var context = OperationRun.DecodingContext()
        for _ in 0..<count {
            let run: OperationRun
            do {
                run = format == 1 ? try OperationRun.decodeFormat1(from: &r) : try OperationRun.decode(from: &r, context: &context)
            } catch let error as CodecError {
                throw ReplicaError(.badBundle, "the bundle is malformed: \(error)", hint: "nothing was imported; export it again")
            }
            operations += run.entries.count
            try body(run)
        }
        guard r.isAtEnd else { throw ReplicaError(.badBundle, "the bundle is malformed: \(r.remaining) trailing bytes", hint: "nothing was imported; export it again") }
        return BundleInfo(court: court, exporter: exporter, operations: operations, runs: Int(count), bytes: bytes.count)
    }

    /// The court named in a bundle's header (after checking magic, version and checksum).
    public static func court(of bytes: [UInt8]) throws -> String {
        var r = try open(bytes)
        do { return try r.string(limit: 256) } catch { throw ReplicaError(.badBundle, "the bundle is malformed: \(error)") }
    }

    /// A reader positioned after the version byte, once magic, version and checksum are right.
    private static func open(_ bytes: [UInt8]) throws -> BinaryReader {
        guard bytes.count >= magic.count + 1 + 32, Array(bytes.prefix(magic.count)) == magic else {
            throw ReplicaError(.badBundle, "this file is not a Sinkron bundle", hint: "bundles are written by `sinkron export`")
        }
        guard readableVersions.contains(bytes[magic.count]) else {
            throw ReplicaError(.badBundle, "bundle format version \(bytes[magic.count]) is not supported (this program reads versions \(readableVersions.lowerBound)–\(readableVersions.upperBound))", hint: "update sinkron on this PC")
        }
        let body = bytes.count - 32
        guard Array(SHA256.hash(data: bytes[0..<body])) == Array(bytes[body...]) else {
            throw ReplicaError(.badBundle, "the bundle is damaged or truncated (its checksum does not match)", hint: "copy it again from the exporting PC")
        }
        return BinaryReader(bytes, offset: magic.count + 1, end: body)
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
    public func exportBundle(to path: String, since: VersionVector? = nil) throws -> BundleInfo {
        var runs: [OperationRun] = []
        try missingRuns(since: since ?? VersionVector()) { runs.append($0) }
        let bytes = Bundle.encode(court: identity.court, exporter: identity.name, runs: runs)
        try writeAtomically(bytes, to: path)
        return BundleInfo(court: identity.court, exporter: identity.name, operations: runs.reduce(0) { $0 + $1.entries.count }, runs: runs.count, bytes: bytes.count)
    }

    /// Reads, verifies and applies a bundle. Importing the same bundle twice, or bundles in any
    /// order, is harmless. The import is logged as a merge session.
    public func importBundle(from path: String) throws -> ImportReport {
        let bytes = try readFile(path, limit: Bundle.maxBytes)
        let court = try Bundle.court(of: bytes)
        guard court == identity.court else {
            throw ReplicaError(.wrongCourt, "the bundle comes from court \"\(court)\"; this replica belongs to \"\(identity.court)\"", hint: "nothing was imported; bundles move only within one court")
        }
        let session = try beginSession(kind: "import", peer: nil, address: path)
        do {
            var info: BundleInfo?
            let report = try applyStream(session: session) { consume in
                info = try Bundle.forEachRun(bytes, consume)
            }
            guard let info else { throw ReplicaError(.badBundle, "the bundle could not be read") }
            try endSession(session, received: report.appliedTotal, conflicts: report.conflicts, bytesIn: bytes.count, outcome: report.forks.isEmpty ? "ok" : "fork refused", detail: report, peer: info.exporter)
            return ImportReport(bundle: info, session: session, report: report)
        } catch {
            try? endSession(session, received: 0, conflicts: 0, bytesIn: bytes.count, outcome: "refused: \(error)", detail: nil as ApplyReport?)
            throw error
        }
    }

    // MARK: Sessions

    /// Opens a merge-session row (own transaction) and returns its id.
    public func beginSession(kind: String, peer: String?, address: String?) throws -> Int64 {
        try storage {
            try db.transaction {
                try db.cached("INSERT INTO sessions(kind, peer, address, started_at) VALUES (?,?,?,?)")
                    .bind(.text(kind), .optional(peer), .optional(address), .int(Int64(clock.now()))).run()
                return db.lastInsertRowID
            }
        }
    }

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
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw ReplicaError(.notFound, "cannot read \(path)", hint: "check the path") }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw ReplicaError(.notFound, "cannot read \(path)", hint: "check the path") }
    guard st.st_mode & S_IFMT != S_IFDIR else { throw ReplicaError(.invalidInput, "\(path) is a folder, not a file", hint: "give the file's path") }
    let size = Int(st.st_size)
    guard size > 0 else { return [] }
    guard size <= limit else { throw ReplicaError(.badBundle, "\(path) is \(size) bytes; at most \(limit) are accepted") }
    // Read straight into the array: a bundle is held once, not as Data and then a copy.
    var failed = false
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
        count = 0
        while count < size {
            let n = read(fd, buffer.baseAddress! + count, size - count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                failed = n < 0
                break
            }
            count += n
        }
    }
    guard !failed else { throw ReplicaError(.storage, "cannot read \(path): \(String(cString: strerror(errno)))", hint: "check the file") }
    return bytes
}

/// Writes a file via a temporary name, fsync and rename, so a reader never sees half of it.
func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    let temporary = path + ".tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw ReplicaError(.storage, "cannot write \(path): \(String(cString: strerror(errno)))", hint: "check the path and free space") }
    var offset = 0
    let ok = bytes.withUnsafeBytes { raw -> Bool in
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n <= 0 { return false }
            offset += n
        }
        return fsync(fd) == 0
    }
    close(fd)
    guard ok, rename(temporary, path) == 0 else {
        unlink(temporary)
        throw ReplicaError(.storage, "cannot write \(path): \(String(cString: strerror(errno)))", hint: "check free space")
    }
}
